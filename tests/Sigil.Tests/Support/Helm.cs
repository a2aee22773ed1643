namespace Sigil.Tests.Support;

/// <summary>A real helm binary pointed at one test cluster, with its caches kept out of the user's home.</summary>
internal sealed class Helm(string binary, string kubeconfigPath) : IDisposable

{
    private readonly string _home = Directory.CreateTempSubdirectory("sigil-helm-").FullName;

    public static async Task<Helm> ForAsync(string version, TestCluster cluster) => version switch
    {
        "3" => new Helm(await ToolCache.Helm3Async(), cluster.KubeconfigPath),
        "4" => new Helm(await ToolCache.Helm4Async(), cluster.KubeconfigPath),
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "no such helm in the tool cache"),
    };

    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"helm {string.Join(' ', args)} failed: {result.Output}");
        return result.Stdout;
    }

    public Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync(binary, ["--kubeconfig", kubeconfigPath, .. args], environment: new Dictionary<string, string>
        {
            ["HELM_CACHE_HOME"] = Path.Combine(_home, "cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(_home, "config"),
            ["HELM_DATA_HOME"] = Path.Combine(_home, "data"),
        });

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
