using System.Diagnostics;

namespace Sigil.Tests.Support;

/// <summary>A real kubectl binary pointed at one test cluster, with its own discovery cache.</summary>
internal sealed class Kubectl(string binary, string kubeconfigPath) : IDisposable
{
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("sigil-kubectl-cache-").FullName;

    public static async Task<Kubectl> ForAsync(string version, TestCluster cluster) => version switch
    {
        "1.32" => new Kubectl(ToolCache.Kubectl132, cluster.KubeconfigPath),
        "1.34" => new Kubectl(await ToolCache.Kubectl134Async(), cluster.KubeconfigPath),
        "1.35" => new Kubectl(await ToolCache.Kubectl135Async(), cluster.KubeconfigPath),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "no such kubectl in the tool cache"),
    };

    /// <summary>kubectl with another user's kubeconfig (from <c>LocalCluster.AddUserAsync</c>).</summary>
    public static async Task<Kubectl> ForAsync(string version, string kubeconfigPath) => version switch
    {
        "1.32" => new Kubectl(ToolCache.Kubectl132, kubeconfigPath),
        "1.34" => new Kubectl(await ToolCache.Kubectl134Async(), kubeconfigPath),
        "1.35" => new Kubectl(await ToolCache.Kubectl135Async(), kubeconfigPath),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "no such kubectl in the tool cache"),
    };

    private IEnumerable<string> Arguments(IEnumerable<string> args) => ["--kubeconfig", kubeconfigPath, "--cache-dir", _cacheDir, .. args];

    public Task<ProcessResult> RunAsync(params string[] args) => ProcessRunner.RunAsync(binary, Arguments(args));

    public Task<ProcessResult> RunWithInputAsync(string stdin, params string[] args) => ProcessRunner.RunAsync(binary, Arguments(args), stdin);

    /// <summary>Runs and requires success, so a failing step says what kubectl printed.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result.Output}");
        return result.Stdout;
    }

    public async Task<string> ApplyAsync(string manifest, params string[] extra)
    {
        var result = await RunWithInputAsync(manifest, ["apply", "-f", "-", .. extra]);
        Assert.True(result.ExitCode == 0, $"kubectl apply failed: {result.Output}");
        return result.Stdout;
    }

    public Process Start(params string[] args) => ProcessRunner.Start(binary, Arguments(args));

    public void Dispose() => Directory.Delete(_cacheDir, recursive: true);
}
