using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>`kubectl sigil` as a user installs it: the built sigil, found by real kubectl's plugin lookup on the PATH.</summary>
public sealed class KubectlPluginTests
{
    [Fact]
    public async Task Kubectl_finds_the_plugin_wrapper_and_a_symlink_named_kubectl_sigil_and_both_run_sigil_status_with_KUBECONFIG()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("plugin");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil");
        var links = Directory.CreateTempSubdirectory("sigil-plugin-").FullName;
        File.CreateSymbolicLink(Path.Combine(links, "kubectl-sigil"), sigil);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        // kubectl passes no flags placed before the plugin's name, so the cluster comes from KUBECONFIG.
        string[] args = ["sigil", "status", "-A", "--sigil-namespace", op.Options.Namespace];

        var wrapper = await ProcessRunner.RunAsync(ToolCache.Kubectl132, args, environment: new Dictionary<string, string>
        {
            ["PATH"] = $"{Path.Combine(Repository.Root, "plugins")}{Path.PathSeparator}{path}",
            ["SIGIL"] = sigil,
            ["KUBECONFIG"] = cluster.KubeconfigPath,
        });
        var symlink = await ProcessRunner.RunAsync(ToolCache.Kubectl132, args, environment: new Dictionary<string, string>
        {
            ["PATH"] = $"{links}{Path.PathSeparator}{path}",
            ["KUBECONFIG"] = cluster.KubeconfigPath,
        });

        foreach (var result in new[] { wrapper, symlink })
        {
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.StartsWith("NAMESPACE ", result.Stdout, StringComparison.Ordinal);
            Assert.Contains(result.Stdout.Split('\n'), l => l.StartsWith(ns, StringComparison.Ordinal) && l.Contains("payments-svid", StringComparison.Ordinal) && l.Contains(" True ", StringComparison.Ordinal));
        }
        Directory.Delete(links, recursive: true);
    }
}
