using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary><c>sigil mount</c> as a user runs it: a process against a cluster, the folders read with plain file reads and readlink.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class MountCommandTests : IDisposable
{
    private static readonly string Sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
    private readonly string _folder = Directory.CreateTempSubdirectory("sigil-mount-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Mount_once_writes_a_Secret_and_the_trust_bundle_ConfigMap_as_the_kubelet_lays_them_out_and_exits()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("payments-svid", ("tls.crt", "CERT-ONE"), ("tls.key", "KEY-ONE")), ns);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "sigil-trust-bundle" },
            Data = new Dictionary<string, string> { ["ca.crt"] = "BUNDLE", ["jwks.json"] = "{\"keys\":[]}" },
        }, ns);

        var run = await Mount(cluster, ["-n", ns, "--once", "payments-svid=./svid", "configmap/sigil-trust-bundle=./trust"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("CERT-ONE", File.ReadAllText(Path.Combine(_folder, "svid", "tls.crt")));
        Assert.Equal("KEY-ONE", File.ReadAllText(Path.Combine(_folder, "svid", "tls.key")));
        Assert.Equal("BUNDLE", File.ReadAllText(Path.Combine(_folder, "trust", "ca.crt")));
        Assert.Equal("..data/tls.key", await Readlink(Path.Combine(_folder, "svid", "tls.key")));
        var data = await Readlink(Path.Combine(_folder, "svid", "..data"));
        Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d{9}$", data);
        Assert.Equal(Mode("600"), File.GetUnixFileMode(Path.Combine(_folder, "svid", data, "tls.key")));
        Assert.Equal(Mode("644"), File.GetUnixFileMode(Path.Combine(_folder, "trust", await Readlink(Path.Combine(_folder, "trust", "..data")), "ca.crt")));
        Assert.Equal(Mode("700"), File.GetUnixFileMode(Path.Combine(_folder, "svid")));
        Assert.Contains("tls.key", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("KEY-ONE", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CERT-ONE", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_follows_an_update_of_the_Secret_with_a_new_data_folder_until_it_is_stopped()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("payments-orders-key", ("api-key", "sgl_one"), ("key-id", "one")), ns);
        using var process = ProcessRunner.Start("dotnet", [Sigil, "mount", "--kubeconfig", cluster.KubeconfigPath, "-n", ns, "payments-orders-key=./apikey"],
            workingDirectory: _folder);
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }, TestContext.Current.CancellationToken);
        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
        var apiKey = Path.Combine(_folder, "apikey", "api-key");
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(File.Exists(apiKey)), TimeSpan.FromSeconds(30), "the folder was never written");
            var firstData = await Readlink(Path.Combine(_folder, "apikey", "..data"));
            var first = File.ReadAllText(apiKey);

            await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(Secret("payments-orders-key", ("api-key", "sgl_two"), ("key-id", "two")), "payments-orders-key", ns);
            await Eventually.TrueAsync(() => Task.FromResult(File.ReadAllText(apiKey) == "sgl_two"), TimeSpan.FromSeconds(20), "the update never reached the folder");
            // The old folder goes just after the swap, and the update is logged once the write is whole.
            await Eventually.TrueAsync(() => Task.FromResult(Output().Split('\n').Count(l => l.Contains("Updated", StringComparison.Ordinal)) == 2),
                TimeSpan.FromSeconds(20), "the update was never logged");
            var secondData = await Readlink(Path.Combine(_folder, "apikey", "..data"));
            await ProcessRunner.RunAsync("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var stopped = process.WaitForExit(15_000);
            await reading.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

            Assert.Equal("sgl_one", first);
            Assert.NotEqual(firstData, secondData);
            Assert.False(Directory.Exists(Path.Combine(_folder, "apikey", firstData)), "the old data folder is still there");
            Assert.Equal("two", File.ReadAllText(Path.Combine(_folder, "apikey", "key-id")));
            Assert.Equal("..data/api-key", await Readlink(apiKey));
            Assert.True(stopped, "sigil mount did not stop on Ctrl-C (SIGINT)");
            // System.CommandLine ends a cancelled command with 130, the shell's code for a Ctrl-C, rather than the action's 0.
            Assert.True(process.ExitCode is 0 or 130, $"sigil mount exited with {process.ExitCode}");
            var updates = Output().Split('\n').Where(l => l.Contains("Updated", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, updates.Count);
            Assert.All(updates, l => Assert.Contains("api-key", l, StringComparison.Ordinal));
            Assert.DoesNotContain("sgl_", Output(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
    }

    [Fact]
    public async Task Mount_once_of_a_Secret_that_does_not_exist_fails_with_one_line_naming_it()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");

        var run = await Mount(cluster, ["-n", ns, "--once", "payments-svid=./svid"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal($"sigil: secret/payments-svid does not exist in namespace {ns}", run.Stderr.Trim());
    }

    [Fact]
    public async Task Mount_once_says_in_one_line_when_the_API_server_refuses_the_read()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("payments-svid", ("tls.key", "KEY-ONE")), ns);
        cluster.RequireLocal().Faults.FailNext(1, 403, r => r.Resource == "secrets" && r.Verb == "get");

        var run = await Mount(cluster, ["-n", ns, "--once", "payments-svid=./svid"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal($"sigil: reading from namespace {ns} failed: the API server answered 403 Forbidden", run.Stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(_folder, "svid")));
    }

    [Fact]
    public async Task Mount_refuses_a_folder_that_holds_the_users_files_and_leaves_it_untouched()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("payments-svid", ("tls.crt", "CERT")), ns);
        Directory.CreateDirectory(Path.Combine(_folder, "src"));
        File.WriteAllText(Path.Combine(_folder, "src", "main.cs"), "mine");

        var run = await Mount(cluster, ["-n", ns, "--once", "payments-svid=./src"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.StartsWith("sigil: refusing to mount into", run.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.Equal(["main.cs"], Directory.GetFileSystemEntries(Path.Combine(_folder, "src")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Without_flags_mount_reads_KUBECONFIG_and_the_namespace_of_its_context_and_context_picks_another()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("shop");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("payments-svid", ("tls.crt", "CERT")), ns);
        var kubeconfig = Path.Combine(_folder, "kubeconfig");
        File.WriteAllText(kubeconfig, File.ReadAllText(cluster.KubeconfigPath).Replace("namespace: default", $"namespace: {ns}", StringComparison.Ordinal));
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig };

        var fromContext = await ProcessRunner.RunAsync("dotnet", [Sigil, "mount", "--once", "payments-svid=./svid"], environment: environment, workingDirectory: _folder);
        var unknownContext = await ProcessRunner.RunAsync("dotnet", [Sigil, "mount", "--once", "--context", "nowhere", "payments-svid=./other"],
            environment: environment, workingDirectory: _folder);

        Assert.True(fromContext.ExitCode == 0, fromContext.Output);
        Assert.Equal("CERT", File.ReadAllText(Path.Combine(_folder, "svid", "tls.crt")));
        Assert.NotEqual(0, unknownContext.ExitCode);
        Assert.Contains("nowhere", unknownContext.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "other")));
    }

    [Theory]
    [InlineData("no SECRET=DIR at all", new string[0], "Required argument missing")]
    [InlineData("a target without '='", new[] { "payments-svid" }, "is not SECRET=DIR")]
    [InlineData("a kind that cannot be mounted", new[] { "deployment/payments=./d" }, "is neither secret/ nor configmap/")]
    [InlineData("one folder for two Secrets", new[] { "a=./d", "b=./d/" }, "is named twice")]
    public async Task A_command_line_that_cannot_work_fails_before_touching_anything_and_says_why(string because, string[] targets, string expected)
    {
        var run = await ProcessRunner.RunAsync("dotnet", [Sigil, "mount", "--kubeconfig", "/nonexistent", "--once", .. targets], workingDirectory: _folder);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
        Assert.NotNull(because);
    }

    private async Task<ProcessResult> Mount(TestCluster cluster, string[] args) =>
        await ProcessRunner.RunAsync("dotnet", [Sigil, "mount", "--kubeconfig", cluster.KubeconfigPath, .. args], workingDirectory: _folder);

    private static async Task<string> Readlink(string path)
    {
        var result = await ProcessRunner.RunAsync("readlink", [path]);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Stdout.Trim();
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    private static V1Secret Secret(string name, params (string Key, string Value)[] data) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Data = data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetBytes(d.Value)),
    };
}
