using System.Diagnostics;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary><c>sigil local --no-operator</c> as a newcomer runs it: a process, a kubeconfig, kubectl.</summary>
public sealed class LocalCommandTests
{
    [Fact]
    public async Task Sigil_local_writes_a_kubeconfig_under_the_current_directory_that_kubectl_can_use()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-cli-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--no-operator"], workingDirectory: folder);
        try
        {
            var banner = new List<string>();
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
                banner.Add(line);
            }
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");

            var namespaces = await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, "get", "namespaces", "-o", "name"]);

            Assert.Contains(banner, l => l.Contains("kubectl --kubeconfig .sigil/kubeconfig", StringComparison.Ordinal));
            Assert.Contains(banner, l => l.Contains("emulator", StringComparison.Ordinal));
            Assert.True(namespaces.ExitCode == 0, namespaces.Output);
            Assert.Contains("namespace/default", namespaces.Stdout, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));
            }
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
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
