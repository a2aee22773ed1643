namespace Sigil.Tests.Support;

/// <summary>
/// Prometheus's promtool (Debian package prometheus), which checks and unit-tests the chart's alert rules. .ci/run installs
/// it where it can (and says so loudly where it cannot); without it a test that needs it is skipped, saying how to get it.
/// </summary>
internal static class Promtool
{
    public static string Require()
    {
        var path = Environment.GetEnvironmentVariable("PROMTOOL") is { Length: > 0 } set ? set : Find("promtool");
        if (path is not null)
        {
            return path;
        }
        const string Why = "promtool is not on the PATH (apt-get install -y prometheus, as .ci/run does, or set PROMTOOL)";
        Assert.Skip(Why);
        return null!;
    }

    public static async Task<ProcessResult> RunAsync(string workingDirectory, params string[] args) =>
        await ProcessRunner.RunAsync(Require(), args, workingDirectory: workingDirectory);

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
