using System.Diagnostics;
using System.Globalization;
using Sigil.Client.Tests.Soak;

namespace Sigil.Benchmarks;

/// <summary>
/// The soak of issue #11, longer than the test's: the samples under rotation of every credential and the CA, with the
/// request rate and what rotated printed. <c>dotnet run -c Release --project tests/Sigil.Benchmarks -- soak [seconds]</c>.
/// </summary>
internal static class SoakBenchmark
{
    public static async Task RunAsync(int seconds)
    {
        var here = AppContext.BaseDirectory;
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Operator.sln")))
        {
            root = root.Parent;
        }
        if (root is null)
        {
            throw new InvalidOperationException("cannot find the repository root from " + here);
        }
        var configuration = new DirectoryInfo(here).Parent!.Name;
        string Sample(string name) => Path.Combine(root.FullName, "examples", "dotnet", name, "bin", configuration, "net10.0", name + ".dll");
        var clock = Stopwatch.StartNew();
        var options = new SoakOptions(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(5), Path.Combine(here, "sigil.dll"), Sample("Orders"), Sample("Payments"),
            root.FullName, line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {line}"), CaRotations: Math.Max(1, seconds / 120));

        var result = await SoakHarness.RunAsync(options, CancellationToken.None);

        Console.WriteLine(result.Report());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {seconds} s, {result.Requests / (double)seconds:0.0} requests/s, {result.Failures} failures, {result.IdentityRotations} identity rotations, {result.CaRotations} CA rotations, {result.ServerHandshakes.Values.Sum()} TLS handshakes over {result.ServerHandshakes.Count} served certificates"));
        Environment.ExitCode = result.Failures == 0 ? 0 : 1;
    }
}
