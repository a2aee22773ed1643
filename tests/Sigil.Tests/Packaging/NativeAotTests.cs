using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using Sigil.Authority;
using Sigil.Operator;
using Sigil.Tests.Cli;
using Sigil.Tests.Support;

namespace Sigil.Tests.Packaging;

/// <summary>
/// The binary the image ships (NativeAOT, without the local control plane), run as its own process against the local
/// control plane as a cluster runs it, through every path the operator takes in production, checked with consumers we
/// did not write. A JIT test run cannot see what NativeAOT breaks: reflection JSON with no metadata, trimmed members,
/// static constructors that need MetadataToken. Each of those was found here or by the load harness before it was fixed.
/// </summary>
public sealed partial class NativeAotTests
{
    private const string Identities = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: orders, namespace: shop}
        spec:
          x509: {keyAlgorithm: Ed25519}
          acceptsFrom: [{serviceIdentity: payments, scopes: [orders.read, orders.write]}]
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: payments, namespace: shop}
        spec:
          x509: {dnsNames: [payments.shop.svc]}
          apiKeys:
            - {name: orders, audience: orders, rotation: {every: 720h, gracePeriod: 24h}}
            - {name: orders-signing, audience: orders, type: HMACSHA256, rotation: {every: 720h, gracePeriod: 1h}}
          jwt:
            audiences:
              - {name: orders, audience: orders}
              - {name: vault, audience: "https://vault.example.com"}
          oauth2:
            clientSecret: {rotation: {every: 720h, gracePeriod: 24h}}
          restartOnRotation: [{kind: Deployment, name: payments}]
        """;

    private const string Payments = "spiffe://cluster.local/ns/shop/sa/payments";
    private const string Orders = "spiffe://cluster.local/ns/shop/sa/orders";

    /// <summary>
    /// What the publish may warn about, exactly: third-party reflection (KubernetesClient's models and YamlDotNet's
    /// serializer, which KubernetesClient references; one warning per assembly), and ASP.NET Core's default JSON
    /// resolver, reachable because KubernetesClient needs reflection JSON on; Sigil writes no JSON through ASP.NET Core.
    /// Our own code has none: the analyzers fail the ordinary build on any. A new entry here is a decision, not a chore.
    /// </summary>
    private static readonly string[] PinnedWarnings =
    [
        "IL2026 Microsoft.AspNetCore.Http.Json.JsonOptions.CreateDefaultTypeResolver()",
        "IL2104 KubernetesClient",
        "IL2104 YamlDotNet",
        "IL3053 KubernetesClient",
        "IL3053 Microsoft.AspNetCore.Http.Extensions",
        "IL3053 YamlDotNet",
    ];

    [Fact]
    public async Task The_publish_warns_only_where_third_party_code_uses_reflection_and_nowhere_in_ours()
    {
        var image = await ImageBuild.GetAsync();

        var warnings = TrimWarning().Matches(image.Publish.Output).Select(m => $"{m.Groups["code"].Value} {m.Groups["subject"].Value}").Distinct().Order().ToList();

        Assert.Equal(PinnedWarnings, warnings);
    }

    [Fact]
    public async Task The_binary_issues_every_credential_kind_and_consumers_we_did_not_write_accept_them()
    {
        await using var world = await AotWorld.StartAsync();
        await using var sigil = await world.StartOperatorAsync();
        await world.ApplyIdentitiesAsync();
        var folder = world.Folder;

        // X.509-SVIDs: openssl verifies each leaf against the bundle in its Secret and reads each key (P-256 and Ed25519).
        foreach (var (identity, id) in new[] { ("payments", Payments), ("orders", Orders) })
        {
            var svid = await world.SecretAsync($"{identity}-svid");
            foreach (var key in new[] { "tls.crt", "tls.key", "ca.crt" })
            {
                await File.WriteAllTextAsync(Path.Combine(folder, $"{identity}.{key}"), svid[key]);
            }
            Assert.Contains(": OK", await Openssl.RunAsync(folder, "verify", "-CAfile", $"{identity}.ca.crt", $"{identity}.tls.crt"), StringComparison.Ordinal);
            Assert.Contains($"URI:{id}", await Openssl.RunAsync(folder, "x509", "-in", $"{identity}.tls.crt", "-noout", "-ext", "subjectAltName"), StringComparison.Ordinal);
            Assert.Equal(await Openssl.RunAsync(folder, "x509", "-in", $"{identity}.tls.crt", "-noout", "-pubkey"),
                await Openssl.RunAsync(folder, "pkey", "-in", $"{identity}.tls.key", "-pubout"));
        }
        Assert.Contains("ED25519", await Openssl.RunAsync(folder, "x509", "-in", "orders.tls.crt", "-noout", "-text"), StringComparison.Ordinal);

        // API keys: the receiver's verifiers hold the SHA-256 of the caller's Bearer key and its HMAC secret as is.
        var bearer = await world.SecretAsync("payments-orders-apikey");
        var hmac = await world.SecretAsync("payments-orders-signing-apikey");
        var verifiers = JsonNode.Parse((await world.SecretAsync("orders-verifiers"))["keys.json"])!.AsArray();
        Assert.Contains(verifiers, v => (string?)v!["caller"] == Payments && (string?)v["keyId"] == bearer["key-id"]
            && (string?)v["sha256"] == Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bearer["api-key"]))));
        Assert.Contains(verifiers, v => (string?)v!["caller"] == Payments && (string?)v["keyId"] == hmac["key-id"] && (string?)v["secret"] == hmac["hmac-secret"]);

        // JWT-SVIDs: jose discovers the issuer the binary serves over HTTPS, trusting only the published bundle.
        var bundle = (await world.Kubectl("get", "configmap", "sigil-trust-bundle", "-n", "shop", "-o", "jsonpath={.data.ca\\.crt}")).Stdout;
        await File.WriteAllTextAsync(Path.Combine(folder, "bundle.crt"), bundle);
        var jwt = await world.SecretAsync("payments-jwt");
        var input = new JsonObject
        {
            ["ca"] = bundle,
            ["discovery"] = sigil.IssuerUrl + "/.well-known/openid-configuration",
            ["jwts"] = new JsonObject { ["orders"] = jwt["orders.jwt"], ["vault"] = jwt["vault.jwt"] },
            ["tokens"] = new JsonObject { ["orders"] = Orders, ["vault"] = "https://vault.example.com" },
        };
        var jose = await NodePackages.RunScriptAsync(NodePackages.Jose, LocalJwtTests.Verifier, input.ToJsonString());
        Assert.True(jose.ExitCode == 0, $"jose rejected a JWT-SVID from the NativeAOT binary: {jose.Stderr.Trim()}");
        Assert.Equal(Payments, (string?)JsonNode.Parse(jose.Stdout)!["results"]!["orders"]!["sub"]);

        // The token endpoint: curl posts the client secret (client_secret_post), jose verifies the access token.
        var client = await world.SecretAsync("payments-oauth2");
        // The secret from a file in the test's private folder, not on a command line others can read in ps.
        await File.WriteAllTextAsync(Path.Combine(folder, "client-secret"), client["client-secret"]);
        var token = await ProcessRunner.RunAsync("curl", ["--silent", "--show-error", "--fail-with-body", "--cacert", "bundle.crt", client["token-endpoint"],
            "--data-urlencode", "grant_type=client_credentials", "--data-urlencode", "audience=orders", "--data-urlencode", "scope=orders.read",
            "--data-urlencode", $"client_id={client["client-id"]}", "--data-urlencode", "client_secret@client-secret"], workingDirectory: folder);
        Assert.True(token.ExitCode == 0, $"the token endpoint refused: {token.Stdout}{token.Stderr}");
        var jwks = await ProcessRunner.RunAsync("curl", ["--silent", "--show-error", "--fail", "--cacert", "bundle.crt", sigil.IssuerUrl + "/keys"], workingDirectory: folder);
        var access = await JwtConsumers.JoseAccessTokenAsync(jwks.Stdout, sigil.IssuerUrl, (string)JsonNode.Parse(token.Stdout)!["access_token"]!, Orders);
        Assert.True(access.Ok, access.Error);
        Assert.Equal((Payments, "orders.read", "at+jwt"), (access.Sub, access.Scope, access.Typ));

        // Key material never reaches the log.
        var keys = new[] { (await world.SecretAsync("payments-svid"))["tls.key"], (await world.SecretAsync(AuthorityManager.DefaultSecretName, AotWorld.OperatorNamespace))["tls.key"] };
        string[] secrets = [bearer["api-key"], hmac["hmac-secret"], client["client-secret"], jwt["orders.jwt"], .. keys.Select(Body)];
        Assert.DoesNotContain(secrets, s => sigil.Log.Contains(s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_binary_rotates_the_CA_when_its_own_CLI_asks_and_rolls_the_workload_that_asked_for_it()
    {
        await using var world = await AotWorld.StartAsync();
        await using var sigil = await world.StartOperatorAsync();
        await world.ApplyIdentitiesAsync();
        var deployment = await world.Kubectl("create", "deployment", "payments", "-n", "shop", "--image=registry.example/payments:1");
        var before = (await world.SecretAsync(AuthorityManager.DefaultSecretName, AotWorld.OperatorNamespace))["tls.crt"];

        var rotate = await world.SigilAsync("ca", "rotate", "--wait", "--timeout", "60s", "--sigil-namespace", AotWorld.OperatorNamespace);

        Assert.True(deployment.ExitCode == 0, deployment.Output);
        Assert.True(rotate.ExitCode == 0, rotate.Output);
        // With --bundle-propagation 0s the new CA signs at once and every leaf moves to it; the old one then leaves the bundle.
        string after = "";
        await Eventually.TrueAsync(async () =>
        {
            after = (await world.SecretAsync(AuthorityManager.DefaultSecretName, AotWorld.OperatorNamespace))["tls.crt"];
            var svid = await world.SecretAsync("payments-svid");
            await File.WriteAllTextAsync(Path.Combine(world.Folder, "new-ca.crt"), after);
            await File.WriteAllTextAsync(Path.Combine(world.Folder, "leaf.crt"), svid["tls.crt"]);
            var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", "new-ca.crt", "leaf.crt"], workingDirectory: world.Folder);
            return after != before && verify.ExitCode == 0 && !svid["ca.crt"].Contains(Body(before), StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), "the payments SVID never chained to the new CA alone");
        // Changes within 5 s of each other make one restart, so the roll follows the last reissue by that much.
        await Eventually.TrueAsync(async () =>
        {
            var restarted = await world.Kubectl("get", "deployment", "payments", "-n", "shop", "-o", "jsonpath={.spec.template.metadata.annotations.sigil\\.dev/restartedAt}");
            return DateTimeOffset.TryParse(restarted.Stdout, CultureInfo.InvariantCulture, out _);
        }, TimeSpan.FromSeconds(60), "the Deployment was never rolled");

        // The day-2 commands of the same binary read what it wrote, in every output format.
        var caStatus = await world.SigilAsync("ca", "status", "--sigil-namespace", AotWorld.OperatorNamespace, "-o", "json");
        var status = await world.SigilAsync("status", "-n", "shop", "-o", "yaml");
        var inspect = await world.SigilAsync("inspect", "secret", "payments-svid", "-n", "shop", "-o", "json");
        var rotateKeys = await world.SigilAsync("rotate", "payments", "-n", "shop", "--wait", "--timeout", "60s");
        var table = await world.SigilAsync("status", "-n", "shop");
        // A kubeconfig whose user is an exec plugin (as EKS, GKE and AKS write them), which KubernetesClient runs.
        var viaPlugin = await ProcessRunner.RunAsync(world.Image.Executable, ["status", "-n", "shop", "--kubeconfig", await world.ExecPluginKubeconfigAsync()]);

        Assert.True(caStatus.ExitCode == 0, caStatus.Output);
        Assert.Contains(JsonNode.Parse(caStatus.Stdout)!["cas"]!.AsArray(), c => (string?)c!["state"] == "active" && (string?)c["fingerprintSHA256"] == Fingerprint(after));
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Contains("name: payments", status.Stdout, StringComparison.Ordinal);
        Assert.True(inspect.ExitCode == 0, inspect.Output);
        var inspected = JsonNode.Parse(inspect.Stdout)!;
        Assert.Equal(Payments, (string?)inspected["x509"]!["spiffeID"]);
        Assert.Empty(inspected["problems"]!.AsArray());
        Assert.True(rotateKeys.ExitCode == 0, rotateKeys.Output);
        Assert.True(table.ExitCode == 0, table.Output);
        Assert.Contains(table.Stdout.Split('\n'), l => l.StartsWith("payments ", StringComparison.Ordinal) && l.Contains("True", StringComparison.Ordinal));
        Assert.True(viaPlugin.ExitCode == 0, viaPlugin.Output);
        Assert.Equal(table.Stdout.Split('\n')[0], viaPlugin.Stdout.Split('\n')[0]);
    }

    [Fact]
    public async Task Two_replicas_elect_one_leader_and_the_other_takes_over_when_the_leader_is_stopped()
    {
        await using var world = await AotWorld.StartAsync();
        await using var first = await world.StartOperatorAsync("--leader-elect");
        // The second finds its cluster through KUBECONFIG, as `sigil run` outside a pod usually does.
        await using var second = await world.StartOperatorAsync("--leader-elect", waitForLeader: false, kubeconfigFromEnvironment: true);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var leaders = new[] { await first.IsLeaderAsync(), await second.IsLeaderAsync() };
        var stopped = await first.StopAsync();
        // Well inside the 15 s lease: the leader released it as it stopped, or the other would wait the lease out.
        await Eventually.TrueAsync(second.IsLeaderAsync, TimeSpan.FromSeconds(8), "the second replica did not take over at once");
        await world.ApplyIdentitiesAsync();

        Assert.Equal([true, false], leaders);
        // SIGTERM, as the kubelet stops a pod: the host stops, releasing its Lease, and exits 0 (not 143, killed).
        Assert.True(stopped == 0, $"the leader exited {stopped} on SIGTERM:\n{first.Log}");
        Assert.Contains("released the leadership", first.Log, StringComparison.Ordinal);
        Assert.Contains("stopped", first.Log.Split('\n')[^2], StringComparison.Ordinal);
    }

    private static string Body(string pem) => pem.Split('\n')[1];

    private static string Fingerprint(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(pem[fields.Base64Data])));
    }

    [GeneratedRegex(@"^(?<indent> *)token: (?<token>\S+)$", RegexOptions.Multiline)]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"\b(?:warning|error) (?<code>IL\d{4}): (?:Assembly '(?<subject>[^']+)'|(?<subject>[\w.`<>,]+\([^)]*\)))")]
    private static partial Regex TrimWarning();

    /// <summary>The local control plane in this process with Sigil's CRDs installed, and a folder for files.</summary>
    private sealed class AotWorld : IAsyncDisposable
    {
        private readonly List<SigilProcess> _processes = [];

        private AotWorld(TestCluster cluster, PublishedImage image, string folder)
        {
            Cluster = cluster;
            Image = image;
            Folder = folder;
        }

        public TestCluster Cluster { get; }
        public PublishedImage Image { get; }
        public string Folder { get; }
        public const string OperatorNamespace = "sigil-system";

        public static async Task<AotWorld> StartAsync()
        {
            var image = await ImageBuild.GetAsync();
            var cluster = await TestCluster.StartAsync(ClusterKind.Local);
            var world = new AotWorld(cluster, image, Directory.CreateTempSubdirectory("sigil-aot-").FullName);
            await LocalSetup.InstallAsync(cluster.Client, AotWorld.OperatorNamespace, CancellationToken.None);
            return world;
        }

        /// <summary>`sigil run` from the binary, on free ports, with its issuer on loopback; waits until it reconciles.</summary>
        public async Task<SigilProcess> StartOperatorAsync(string? extra = null, bool waitForLeader = true, bool kubeconfigFromEnvironment = false)
        {
            var (metrics, health, issuer) = (Ports.Free(), Ports.Free(), Ports.Free());
            var issuerUrl = $"https://127.0.0.1:{issuer}";
            string[] arguments = ["run", "--namespace", OperatorNamespace, "--log-format", "json",
                "--metrics-port", Port(metrics), "--health-port", Port(health), "--issuer-port", Port(issuer), "--issuer-url", issuerUrl,
                "--bundle-propagation", "0s", .. kubeconfigFromEnvironment ? Array.Empty<string>() : ["--kubeconfig", Cluster.KubeconfigPath],
                .. extra is null ? Array.Empty<string>() : [extra]];
            var environment = new Dictionary<string, string>(ImageBuild.RuntimeEnvironment);
            if (kubeconfigFromEnvironment)
            {
                environment["KUBECONFIG"] = Cluster.KubeconfigPath;
            }
            var process = new SigilProcess(ProcessRunner.Start(Image.Executable, arguments, environment), metrics, health, issuerUrl);
            _processes.Add(process);
            await Eventually.TrueAsync(async () => process.Exited || await process.HealthyAsync(), TimeSpan.FromSeconds(60), "the binary never answered /readyz");
            Assert.False(process.Exited, $"the binary exited:\n{process.Log}");
            if (waitForLeader)
            {
                await Eventually.TrueAsync(process.IsLeaderAsync, TimeSpan.FromSeconds(60), $"the binary never led:\n{process.Log}");
            }
            return process;
        }

        public async Task ApplyIdentitiesAsync()
        {
            var file = Path.Combine(Folder, "identities.yaml");
            await File.WriteAllTextAsync(file, Identities);
            var applied = await Kubectl("apply", "-f", file);
            Assert.True(applied.ExitCode == 0, applied.Output);
            await Eventually.TrueAsync(async () =>
            {
                var got = await Kubectl("get", "sid", "-n", "shop", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
                return got.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries) is ["True", "True"];
            }, TimeSpan.FromSeconds(60), $"the identities never became Ready:\n{string.Join('\n', _processes.Select(p => p.Log))}");
        }

        public async Task<IReadOnlyDictionary<string, string>> SecretAsync(string name, string ns = "shop")
        {
            var secret = await Cluster.Client.CoreV1.ReadNamespacedSecretAsync(name, ns);
            return secret.Data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetString(d.Value));
        }

        /// <summary>The cluster's kubeconfig with its token handed out by an exec credential plugin instead.</summary>
        public async Task<string> ExecPluginKubeconfigAsync()
        {
            var text = await File.ReadAllTextAsync(Cluster.KubeconfigPath);
            var token = TokenLine().Match(text);
            var credential = new JsonObject
            {
                ["apiVersion"] = "client.authentication.k8s.io/v1",
                ["kind"] = "ExecCredential",
                ["status"] = new JsonObject { ["token"] = token.Groups["token"].Value },
            }.ToJsonString();
            // KubernetesClient joins the plugin's args with spaces into one command line, so none may hold a space.
            var script = Path.Combine(Folder, "credential-plugin");
            await File.WriteAllTextAsync(script, "#!/bin/sh\nprintf '%s' \"$CREDENTIAL\"\n");
            await ProcessRunner.RunAsync("chmod", ["+x", script]);
            var indent = token.Groups["indent"].Value;
            var plugin = string.Join('\n',
                $"{indent}exec:",
                $"{indent}  apiVersion: client.authentication.k8s.io/v1",
                $"{indent}  command: {script}",
                $"{indent}  args: [--cluster, local]",
                $"{indent}  env: [{{name: CREDENTIAL, value: '{credential}'}}]");
            var path = Path.Combine(Folder, "exec-kubeconfig");
            await File.WriteAllTextAsync(path, text.Replace(token.Value, plugin, StringComparison.Ordinal));
            return path;
        }

        public Task<ProcessResult> Kubectl(params string[] arguments) =>
            ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", Cluster.KubeconfigPath, .. arguments]);

        /// <summary>A day-2 command of the same binary.</summary>
        public Task<ProcessResult> SigilAsync(params string[] arguments) =>
            ProcessRunner.RunAsync(Image.Executable, [.. arguments, "--kubeconfig", Cluster.KubeconfigPath], environment: ImageBuild.RuntimeEnvironment);

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes)
            {
                await process.DisposeAsync();
            }
            await Cluster.DisposeAsync();
            Directory.Delete(Folder, recursive: true);
        }

        private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A running <c>sigil run</c>, its output read as it comes so the pipe never fills.</summary>
    private sealed class SigilProcess : IAsyncDisposable
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
        private readonly Process _process;
        private readonly StringBuilder _log = new();
        private readonly Task _reading;
        private readonly int _metricsPort;
        private readonly int _healthPort;

        public SigilProcess(Process process, int metricsPort, int healthPort, string issuerUrl)
        {
            _process = process;
            _metricsPort = metricsPort;
            _healthPort = healthPort;
            IssuerUrl = issuerUrl;
            _reading = Task.WhenAll(Read(process.StandardOutput), Read(process.StandardError));
        }

        public string IssuerUrl { get; }
        public bool Exited => _process.HasExited;

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public async Task<bool> HealthyAsync()
        {
            try
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{_healthPort}/readyz"));
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        public async Task<bool> IsLeaderAsync()
        {
            try
            {
                return (await Http.GetStringAsync(new Uri($"http://127.0.0.1:{_metricsPort}/metrics"))).Contains("\nsigil_leader 1", StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        /// <summary>SIGTERM, as the kubelet stops a container; the exit code.</summary>
        public async Task<int> StopAsync()
        {
            var kill = await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(kill.ExitCode == 0, kill.Output);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            await _reading;
            return _process.ExitCode;
        }

        /// <summary>Kills it if it still runs; the world disposes every process it started, the test may too.</summary>
        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            await _reading;
        }

        private async Task Read(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_log)
                {
                    _log.AppendLine(line);
                }
            }
        }
    }
}
