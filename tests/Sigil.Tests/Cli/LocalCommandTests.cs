using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sigil.Tests.Observability;
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

    [Fact]
    public async Task Sigil_local_writes_its_kubeconfig_where_kubeconfig_says_rather_than_ignoring_the_flag()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-cli-").FullName;
        var kubeconfig = Path.Combine(folder, "elsewhere", "config");
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--no-operator", "--kubeconfig", kubeconfig], workingDirectory: folder);
        try
        {
            var banner = new List<string>();
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
                banner.Add(line);
            }

            var namespaces = await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, "get", "namespaces", "-o", "name"]);

            Assert.True(namespaces.ExitCode == 0, namespaces.Output);
            Assert.Contains(banner, l => l.Contains($"kubectl --kubeconfig {kubeconfig}", StringComparison.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(folder, ".sigil")), "sigil local wrote .sigil/kubeconfig although --kubeconfig named another path");
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sigil_local_runs_the_operator_so_an_applied_example_becomes_Ready_and_openssl_verifies_its_certificate()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-op-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--metrics-port", "0", "--health-port", "0"], workingDirectory: folder);
        try
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
            }
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");
            async Task<ProcessResult> Kubectl(params string[] args) => await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, .. args]);
            var examples = Path.Combine(Repository.Root, "examples");

            var applied = await Kubectl("apply", "-f", Path.Combine(examples, "01-payments.yaml"));
            var ready = await Kubectl("wait", "sid/payments", "-n", "shop", "--for=condition=Ready", "--timeout=30s");
            var table = await Kubectl("get", "sid", "-n", "shop");
            var crt = await Kubectl("get", "secret", "payments-svid", "-n", "shop", "-o", "jsonpath={.data.tls\\.crt}");
            var ca = await Kubectl("get", "secret", "payments-svid", "-n", "shop", "-o", "jsonpath={.data.ca\\.crt}");
            await File.WriteAllBytesAsync(Path.Combine(folder, "tls.crt"), Convert.FromBase64String(crt.Stdout));
            await File.WriteAllBytesAsync(Path.Combine(folder, "ca.crt"), Convert.FromBase64String(ca.Stdout));
            var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", "ca.crt", "tls.crt"], workingDirectory: folder);

            Assert.True(applied.ExitCode == 0, applied.Output);
            Assert.True(ready.ExitCode == 0, ready.Output);
            Assert.Matches(@"NAME\s+SPIFFE ID\s+READY\s+EXPIRES\s+NEXT ROTATION\s+AGE", table.Stdout);
            Assert.Matches(@"payments\s+spiffe://cluster.local/ns/shop/sa/payments\s+True\s+\d{4}-", table.Stdout);
            Assert.True(verify.ExitCode == 0, verify.Output);

            // API keys through kubectl: the caller's key verifies against the receiver's keys.json, and a rotation
            // puts the new keys there beside the old, which the caller keeps presenting for --bundle-propagation
            // (10m by default; LocalCommandKeyPropagationTests follows a rotation to its end).
            var keysApplied = await Kubectl("apply", "-f", Path.Combine(examples, "03-api-keys.yaml"));
            Assert.True(keysApplied.ExitCode == 0, keysApplied.Output);
            async Task<List<JsonObject>> KeysJsonAsync()
            {
                var raw = await Kubectl("get", "secret", "orders-verifiers", "-n", "shop", "-o", "jsonpath={.data.keys\\.json}");
                return raw.ExitCode == 0 && raw.Stdout.Length > 0
                    ? JsonNode.Parse(Convert.FromBase64String(raw.Stdout))!.AsArray().Select(e => (JsonObject)e!).ToList() : [];
            }
            await Eventually.TrueAsync(async () => (await KeysJsonAsync()).Count == 2, TimeSpan.FromSeconds(20), "keys.json never held both keys");
            var apiKey = Encoding.UTF8.GetString(Convert.FromBase64String((await Kubectl("get", "secret", "payments-orders-apikey", "-n", "shop", "-o", "jsonpath={.data.api-key}")).Stdout));
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
            Assert.Contains(await KeysJsonAsync(), e => (string?)e["sha256"] == sha && e["notAfter"] is null);

            await Kubectl("annotate", "sid", "payments", "-n", "shop", "sigil.dev/rotate=cli", "--overwrite");
            await Eventually.TrueAsync(async () => (await KeysJsonAsync()).Count == 4, TimeSpan.FromSeconds(20), "the rotation did not add new keys beside the old");
            var afterRotation = await KeysJsonAsync();
            Assert.Contains(afterRotation, e => (string?)e["sha256"] == sha && e["notAfter"] is null);
            Assert.Equal(apiKey, Encoding.UTF8.GetString(Convert.FromBase64String((await Kubectl("get", "secret", "payments-orders-apikey", "-n", "shop", "-o", "jsonpath={.data.api-key}")).Stdout)));
            var sids = await Kubectl("get", "sid", "payments", "-n", "shop", "-o", "jsonpath={.status.nextRotationTime} {.status.lastRotationRequest}");
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\S+ cli$", sids.Stdout);

            // In a pod, SIGTERM must stop the operator and the embedded servers, not be swallowed by them.
            await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.True(process.WaitForExit(15_000), "sigil local did not stop on SIGTERM");
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sigil_local_serves_metrics_and_health_on_loopback_only()
    {
        var network = MonitoringServerTests.NetworkAddress();
        var (metricsPort, healthPort) = (Ports.Free(), Ports.Free());
        var folder = Directory.CreateTempSubdirectory("sigil-local-loopback-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--metrics-port", $"{metricsPort}", "--health-port", $"{healthPort}"], workingDirectory: folder);
        try
        {
            var banner = new List<string>();
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
                banner.Add(line);
            }
            using var http = new HttpClient();
            // A minute, not 30 s: the whole suite runs beside it (the CA-rotation process test among others), and once,
            // on a loaded machine, the operator inside needed longer than 30 s to start listening.
            await Eventually.TrueAsync(async () => process.HasExited || await StatusAsync(http, $"http://127.0.0.1:{healthPort}/healthz") == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "health never answered on 127.0.0.1");
            Assert.False(process.HasExited, $"sigil local exited with {(process.HasExited ? process.ExitCode : 0)}: {string.Join('\n', banner)}");

            var metrics = await StatusAsync(http, $"http://127.0.0.1:{metricsPort}/metrics");
            var metricsFromNetwork = await MonitoringServerTests.ConnectAsync(network, metricsPort);
            var healthFromNetwork = await MonitoringServerTests.ConnectAsync(network, healthPort);

            Assert.Equal(HttpStatusCode.OK, metrics);
            Assert.Equal(SocketError.ConnectionRefused, metricsFromNetwork);
            Assert.Equal(SocketError.ConnectionRefused, healthFromNetwork);
            Assert.Contains(banner, l => l.Contains($"metrics on 127.0.0.1:{metricsPort}/metrics", StringComparison.Ordinal));
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string url)
    {
        try
        {
            return (await http.GetAsync(url)).StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
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
