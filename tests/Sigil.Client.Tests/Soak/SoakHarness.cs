using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Client.ApiKeys;
using Sigil.Client.Http;
using Sigil.Client.Jwt;
using Sigil.Client.X509;

namespace Sigil.Client.Tests.Soak;

/// <summary>What a soak run needs: how long, how often to rotate, and where the programs are.</summary>
/// <param name="Duration">How long Payments sends requests.</param>
/// <param name="RotationInterval">How long to let traffic run between one completed rotation of both identities and the next.</param>
/// <param name="SigilDll">The operator's sigil.dll (<c>sigil local</c>, <c>sigil mount</c>).</param>
/// <param name="OrdersDll">The built Orders sample.</param>
/// <param name="PaymentsDll">The built Payments sample.</param>
/// <param name="Repository">The checkout (for examples/dotnet/identities.yaml).</param>
/// <param name="Log">Progress lines (never key material: serials, key ids, counts).</param>
/// <param name="CaRotations">How many CA rotations, spread evenly over the run.</param>
internal sealed record SoakOptions(TimeSpan Duration, TimeSpan RotationInterval, string SigilDll, string OrdersDll, string PaymentsDll, string Repository, Action<string> Log,
    int CaRotations = 1);

/// <summary>What a soak run saw.</summary>
internal sealed record SoakResult(
    long Requests,
    long Failures,
    IReadOnlyList<string> FailureLines,
    IReadOnlyDictionary<string, int> ServerHandshakes,
    IReadOnlyDictionary<string, int> ClientHandshakes,
    int IdentityRotations,
    int CaRotations,
    IReadOnlySet<string> PaymentsCertificates,
    IReadOnlySet<string> OrdersCertificates,
    IReadOnlySet<string> SigningCas,
    IReadOnlySet<string> BearerKeys,
    IReadOnlySet<string> HmacKeys,
    IReadOnlySet<string> JwtKeys)
{
    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"rotations: {IdentityRotations} of both identities (sigil.dev/rotate), {CaRotations} of the CA");
        text.AppendLine(CultureInfo.InvariantCulture, $"seen: {PaymentsCertificates.Count} payments certificates, {OrdersCertificates.Count} orders certificates, {SigningCas.Count} signing CAs, {BearerKeys.Count} Bearer keys, {HmacKeys.Count} HMAC keys, {JwtKeys.Count} JWT signing keys");
        foreach (var (serial, count) in ServerHandshakes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"orders served certificate {serial}: {count} handshakes");
        }
        foreach (var (serial, count) in ClientHandshakes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"payments presented certificate {serial}: {count} handshakes");
        }
        foreach (var line in FailureLines.Take(20))
        {
            text.AppendLine("failure: " + line);
        }
        text.Append(CultureInfo.InvariantCulture, $"requests={Requests} failures={Failures}");
        return text.ToString();
    }
}

/// <summary>
/// Issue #11's soak, run as a user would: <c>sigil local</c>, <c>kubectl apply</c> of examples/dotnet/identities.yaml,
/// <c>sigil mount</c> for both samples' folders, Orders and Payments as processes, then <c>kubectl annotate</c>
/// rotations of both identities, one after another as each completes, and one CA rotation midway, while Payments
/// sends requests. Shared by the soak test and <c>Sigil.Benchmarks soak</c>.
/// </summary>
internal static partial class SoakHarness
{
    private const string Namespace = "shop";
    private const string OperatorNamespace = "sigil-system";

    // What each sample mounts: Secret (or configmap/NAME) to folder name.
    private static readonly (string Source, string Folder)[] OrdersMounts =
        [("orders-svid", "orders-svid"), ("orders-verifiers", "orders-verifiers"), ("configmap/sigil-trust-bundle", "trust-bundle")];
    private static readonly (string Source, string Folder)[] PaymentsMounts =
        [("payments-svid", "payments-svid"), ("payments-orders-apikey", "api-key"), ("payments-orders-signing-apikey", "hmac"), ("payments-jwt", "jwt")];

    public static async Task<SoakResult> RunAsync(SoakOptions options, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("sigil-soak-").FullName;
        var processes = new List<RunningProcess>();
        try
        {
            // sigil local: fast bundle propagation so key rotations complete in seconds; JWT keys as short as it allows.
            var local = RunningProcess.Start("dotnet", [options.SigilDll, "local", "--metrics-port", "0", "--health-port", "0", "--issuer-port", "0",
                "--bundle-propagation", "5s", "--jwt-key-ttl", "30s"], work, "sigil local");
            processes.Add(local);
            await local.WaitForOutputAsync("Press Ctrl-C", TimeSpan.FromSeconds(60));
            var kubeconfig = Path.Combine(work, ".sigil", "kubeconfig");
            var kubectl = new KubectlRunner(kubeconfig);
            await kubectl.RunAsync("apply", "-f", Path.Combine(options.Repository, "examples", "dotnet", "identities.yaml"));
            await kubectl.RunAsync("wait", "sid", "--all", "-n", Namespace, "--for=condition=Ready", "--timeout=90s");
            options.Log("identities ready");

            string Dir(string folder) => Path.Combine(work, "mounts", folder);
            Mount(options, work, kubeconfig, processes);
            foreach (var (_, folder) in OrdersMounts.Concat(PaymentsMounts))
            {
                await WaitUntilAsync(() => Directory.Exists(Path.Combine(Dir(folder), "..data")), TimeSpan.FromSeconds(30), $"{Dir(folder)} was never written");
            }
            options.Log("folders kept by sigil mount");

            var port = FreePort();
            var target = $"https://127.0.0.1:{port}";
            var orders = RunningProcess.Start("dotnet", [options.OrdersDll, "--svid", Dir("orders-svid"), "--verifiers", Dir("orders-verifiers"),
                "--trust-bundle", Dir("trust-bundle"), "--urls", target], work, "orders");
            processes.Add(orders);
            await WaitUntilAsync(() => Listening(port), TimeSpan.FromSeconds(30), $"Orders never listened on {target}: {orders.Output}");

            using var watcher = new CredentialWatcher(Dir("payments-svid"), Dir("orders-svid"), Dir("api-key"), Dir("hmac"), Dir("jwt"));
            var payments = RunningProcess.Start("dotnet", [options.PaymentsDll, "--svid", Dir("payments-svid"), "--api-key", Dir("api-key"), "--hmac", Dir("hmac"),
                "--jwt", Dir("jwt"), "--jwt-audience", "orders", "--target", target,
                "--server-id", $"spiffe://cluster.local/ns/{Namespace}/sa/orders", "--connection-lifetime", "10s", "--duration", $"{(int)options.Duration.TotalSeconds}s"], work, "payments");
            processes.Add(payments);
            options.Log($"payments calling {target} for {options.Duration.TotalSeconds:0} s");

            // Rotate both identities, wait for each rotation to complete, let traffic flow, again; the CA now and then.
            var started = Stopwatch.StartNew();
            var identityRotations = 0;
            var caRotations = 0;
            var stopRotatingAt = options.Duration - TimeSpan.FromSeconds(10);
            while (started.Elapsed + options.RotationInterval < stopRotatingAt && !payments.HasExited)
            {
                await Task.Delay(options.RotationInterval, ct);
                if (caRotations < options.CaRotations && started.Elapsed >= options.Duration * (caRotations + 1) / (options.CaRotations + 2))
                {
                    var seenCas = watcher.SigningCas.Count;
                    await kubectl.RunAsync("annotate", "secret", "sigil-ca", "-n", OperatorNamespace, $"sigil.dev/rotate=soak-ca-{started.ElapsedMilliseconds}", "--overwrite");
                    await WaitUntilAsync(() => watcher.SigningCas.Count > seenCas, TimeSpan.FromSeconds(60), "the new CA never signed payments' certificate");
                    caRotations++;
                    options.Log($"CA rotated at {started.Elapsed.TotalSeconds:0} s");
                    continue;
                }
                var value = $"soak-{identityRotations + 1}-{started.ElapsedMilliseconds}";
                var before = await RotationStateAsync(kubectl);
                await kubectl.RunAsync("annotate", "sid", "payments", "orders", "-n", Namespace, $"sigil.dev/rotate={value}", "--overwrite");
                await WaitUntilAsync(async () => (await RotationStateAsync(kubectl)).CompletedSince(before, value), TimeSpan.FromSeconds(60),
                    $"rotation {value} never completed");
                identityRotations++;
                options.Log($"rotation {identityRotations} complete at {started.Elapsed.TotalSeconds:0} s");
            }

            var printed = await payments.WaitForExitAsync(options.Duration + TimeSpan.FromMinutes(1));
            var summary = Summary().Match(printed.Stdout);
            if (!summary.Success)
            {
                throw new InvalidOperationException($"Payments printed no requests=N failures=M line:\n{printed.Stdout}\n{printed.Stderr}");
            }
            var clientHandshakes = ClientHandshake().Matches(printed.Stdout).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            var serverHandshakes = await ServerHandshakesAsync(Dir("payments-svid"), Dir("api-key"), target);
            return new SoakResult(
                long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture),
                [.. printed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                serverHandshakes, clientHandshakes, identityRotations, caRotations,
                watcher.PaymentsCertificates, watcher.OrdersCertificates, watcher.SigningCas, watcher.BearerKeys, watcher.HmacKeys, watcher.JwtKeys);
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                process.Dispose();
            }
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary><c>sigil mount</c>, one process per sample, as the README has a user run it.</summary>
    private static void Mount(SoakOptions options, string work, string kubeconfig, List<RunningProcess> processes)
    {
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig };
        foreach (var (name, mounts) in new[] { ("mount orders", OrdersMounts), ("mount payments", PaymentsMounts) })
        {
            processes.Add(RunningProcess.Start("dotnet", [options.SigilDll, "mount", "-n", Namespace, .. mounts.Select(m => $"{m.Source}={Path.Combine(work, "mounts", m.Folder)}")],
                work, name, environment));
        }
    }

    /// <summary>What status says of both identities, to tell when a sigil.dev/rotate request has completed.</summary>
    private static async Task<RotationState> RotationStateAsync(KubectlRunner kubectl)
    {
        var list = JsonNode.Parse(await kubectl.RunAsync("get", "sid", "-n", Namespace, "-o", "json"))!["items"]!.AsArray();
        var identities = list.ToDictionary(i => (string)i!["metadata"]!["name"]!, i => i!["status"]!);
        return new RotationState(identities.ToDictionary(kv => kv.Key, kv => new IdentityState(
            (string?)kv.Value["lastRotationRequest"],
            (string?)kv.Value["x509"]?["serialNumber"],
            [.. (kv.Value["apiKeys"]?.AsArray() ?? []).Select(k => (string)k!["currentKeyId"]!)])));
    }

    private sealed record IdentityState(string? LastRotationRequest, string? Serial, string[] KeyIds);

    private sealed record RotationState(Dictionary<string, IdentityState> Identities)
    {
        /// <summary>Every identity acted on <paramref name="value"/>, has a new certificate, and presents new keys.</summary>
        public bool CompletedSince(RotationState before, string value) => Identities.All(kv =>
            kv.Value.LastRotationRequest == value && kv.Value.Serial != before.Identities[kv.Key].Serial
            && !kv.Value.KeyIds.Intersect(before.Identities[kv.Key].KeyIds).Any());
    }

    /// <summary>Orders' handshake counts per served certificate, asked with payments' own credentials.</summary>
    private static async Task<IReadOnlyDictionary<string, int>> ServerHandshakesAsync(string svidDir, string apiKeyDir, string target)
    {
        using var svid = new X509SvidSource(svidDir);
        using var apiKey = new ApiKeySource(apiKeyDir);
        using var client = new HttpClient(new ApiKeyHandler(apiKey) { InnerHandler = SigilHttpHandler.Create(svid, SpiffeIdAuthorizer.MemberOf(svid.Current.Id.TrustDomain)) })
        {
            BaseAddress = new Uri(target),
        };
        var json = await client.GetStringAsync("/handshakes");
        return JsonSerializer.Deserialize<Dictionary<string, int>>(json)!;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string failure) =>
        WaitUntilAsync(() => Task.FromResult(condition()), within, failure);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > within)
            {
                throw new TimeoutException(failure);
            }
            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"^requests=(\d+) failures=(\d+)\s*\z", RegexOptions.Multiline)]
    private static partial Regex Summary();

    [GeneratedRegex(@"^handshakes client-certificate=(\S+) count=(\d+)", RegexOptions.Multiline)]
    private static partial Regex ClientHandshake();
}

/// <summary>Reads the mounted folders through the library, twice a second, and remembers every certificate, CA and key seen.</summary>
internal sealed class CredentialWatcher : IDisposable
{
    private readonly X509SvidSource _payments;
    private readonly X509SvidSource _orders;
    private readonly ApiKeySource _bearer;
    private readonly ApiKeySource _hmac;
    private readonly JwtSvidSource _jwt;
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _paymentsCertificates = [], _ordersCertificates = [], _signingCas = [], _bearerKeys = [], _hmacKeys = [], _jwtKeys = [];

    public CredentialWatcher(string payments, string orders, string bearer, string hmac, string jwt)
    {
        _payments = new X509SvidSource(payments);
        _orders = new X509SvidSource(orders);
        _bearer = new ApiKeySource(bearer);
        _hmac = new ApiKeySource(hmac);
        _jwt = new JwtSvidSource(jwt);
        Observe();
        _timer = new Timer(_ => Observe(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    public IReadOnlySet<string> PaymentsCertificates => Copy(_paymentsCertificates);
    public IReadOnlySet<string> OrdersCertificates => Copy(_ordersCertificates);
    public IReadOnlySet<string> SigningCas => Copy(_signingCas);
    public IReadOnlySet<string> BearerKeys => Copy(_bearerKeys);
    public IReadOnlySet<string> HmacKeys => Copy(_hmacKeys);
    public IReadOnlySet<string> JwtKeys => Copy(_jwtKeys);

    private HashSet<string> Copy(HashSet<string> set)
    {
        lock (_lock)
        {
            return set.ToHashSet();
        }
    }

    private void Observe()
    {
        lock (_lock)
        {
            var payments = _payments.Current.Certificate;
            _paymentsCertificates.Add(payments.SerialNumber);
            _ordersCertificates.Add(_orders.Current.Certificate.SerialNumber);
            // Which CA signed the leaf: its authority key identifier (every root Sigil makes has the same name).
            _signingCas.Add(payments.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier is { } aki
                ? Convert.ToHexString(aki.Span) : payments.Issuer);
            _bearerKeys.Add(_bearer.Current.KeyId);
            _hmacKeys.Add(_hmac.Current.KeyId);
            _jwtKeys.Add(JwtKeyId(_jwt.Current.For("orders")));
        }
    }

    /// <summary>The <c>kid</c> of a compact JWS's header (public: it names the signing key).</summary>
    private static string JwtKeyId(string jws)
    {
        var header = System.Buffers.Text.Base64Url.DecodeFromChars(jws.AsSpan(0, jws.IndexOf('.', StringComparison.Ordinal)));
        return JsonNode.Parse(header)?["kid"]?.GetValue<string>() ?? "?";
    }

    public void Dispose()
    {
        _timer.Dispose();
        _payments.Dispose();
        _orders.Dispose();
        _bearer.Dispose();
        _hmac.Dispose();
        _jwt.Dispose();
    }
}
