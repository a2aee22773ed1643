using System.Diagnostics;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary>
/// The commands a newcomer types in the first ten minutes against <c>sigil local</c> (issue 13's "done when"), with the
/// README's own chart and real kubectl and helm 4 with its defaults: each is a thing a real cluster does, so each must work here.
/// </summary>
public sealed class LocalFirstCommandsTests
{
    [Theory]
    [InlineData("1.32")]
    [InlineData("1.34")]
    [InlineData("1.35")]
    public async Task A_newcomers_first_commands_work_on_sigil_local(string kubectlVersion)
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-first-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--no-operator"], workingDirectory: folder);
        var helmHome = Directory.CreateTempSubdirectory("sigil-helm-").FullName;
        try
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
            }
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");
            var kubectlBinary = kubectlVersion switch
            {
                "1.32" => ToolCache.Kubectl132,
                "1.34" => await ToolCache.Kubectl134Async(),
                _ => await ToolCache.Kubectl135Async(),
            };
            Task<ProcessResult> Kubectl(params string[] args) => ProcessRunner.RunAsync(kubectlBinary, ["--kubeconfig", kubeconfig, .. args]);
            var helmEnvironment = new Dictionary<string, string>
            {
                ["HELM_CACHE_HOME"] = Path.Combine(helmHome, "cache"),
                ["HELM_CONFIG_HOME"] = Path.Combine(helmHome, "config"),
                ["HELM_DATA_HOME"] = Path.Combine(helmHome, "data"),
            };

            // helm 4 applies server-side by default; no --server-side=false.
            var installed = await ProcessRunner.RunAsync(await ToolCache.Helm4Async(),
                ["--kubeconfig", kubeconfig, "install", "sigil", Path.Combine(Repository.Root, "charts", "sigil"), "-n", "sigil-system", "--create-namespace"],
                environment: helmEnvironment);
            var explained = await Kubectl("explain", "sid.spec.x509");
            var deployment = await Kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2");
            var applied = await ProcessRunner.RunAsync(kubectlBinary, ["--kubeconfig", kubeconfig, "apply", "--server-side", "-f", "-"],
                stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  greeting: hello\n");
            var canI = await Kubectl("auth", "can-i", "list", "secrets", "--as", "system:serviceaccount:x:y");
            var webReplicas = await Kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}");
            var managers = await Kubectl("get", "configmap", "settings", "-o", "jsonpath={.metadata.managedFields[*].manager}");

            Assert.True(installed.ExitCode == 0, installed.Output);
            Assert.True(explained.ExitCode == 0, explained.Output);
            Assert.Contains("FIELD: x509", explained.Stdout, StringComparison.Ordinal);
            Assert.Contains("ttl", explained.Stdout, StringComparison.Ordinal);
            Assert.True(deployment.ExitCode == 0, deployment.Output);
            Assert.Equal("2", webReplicas.Stdout);
            Assert.True(applied.ExitCode == 0, applied.Output);
            Assert.Contains("serverside-applied", applied.Stdout, StringComparison.Ordinal);
            Assert.Equal("kubectl", managers.Stdout);
            // A ServiceAccount with no RoleBinding may not: "no" and exit 1, not an error about the API.
            Assert.Equal("no", canI.Stdout.Trim());
            Assert.Equal(1, canI.ExitCode);
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
            Directory.Delete(helmHome, recursive: true);
        }
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }
}
