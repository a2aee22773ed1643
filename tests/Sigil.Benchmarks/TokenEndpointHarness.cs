using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Credentials.OAuth2;
using Sigil.Identity;
using Sigil.Issuer;
using Sigil.Issuer.Token;
using Sigil.Issuer.Token.ClientAuthentication;
using Sigil.Observability;
using Sigil.Operator;
using Sigil.Runtime;

namespace Sigil.Benchmarks;

/// <summary>
/// The token endpoint under load on loopback: the issuer's listener (TLS, Kestrel, the real endpoint over informer caches
/// holding <c>--identities</c> identities), N concurrent clients using client_secret_basic, over HTTP/1.1 keep-alive and
/// over HTTP/2. Prints tokens/s, latency percentiles and CPU seconds per token; then the endpoint's own work without HTTP
/// (authenticate, decide, sign) on one thread, which is what one core can do at most.
/// </summary>
/// <remarks>
/// The load generator runs in the same process and competes for the same cores, so tokens/s per core understates the
/// server: the CPU figure is the whole process's (client TLS and HTTP included). Rate limits are lifted for the run.
/// </remarks>
internal static class TokenEndpointHarness
{
    private const string TrustDomain = "cluster.local";

    public static async Task RunAsync(int requests, string[] flags)
    {
        string? Flag(string name) => flags.SkipWhile(f => f != name).Skip(1).FirstOrDefault();
        var concurrency = Flag("--concurrency") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 16;
        var identityCount = Flag("--identities") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1000;
        var clientCount = Math.Min(64, identityCount);

        var (identities, secrets, clientSecrets) = World(identityCount, clientCount);
        using var stop = new CancellationTokenSource();
        var identityInformer = new Informer<ServiceIdentity>(new StaticSource<ServiceIdentity>(identities), TimeProvider.System, NullLogger.Instance, CacheTransforms.Slim);
        var secretInformer = new Informer<V1Secret>(new StaticSource<V1Secret>(secrets), TimeProvider.System, NullLogger.Instance, CacheTransforms.Slim);
        var informers = new[] { identityInformer.RunAsync(stop.Token), secretInformer.RunAsync(stop.Token) };
        await Task.WhenAll(identityInformer.Synced, secretInformer.Synced);
        var clients = new InformerTokenClients(identityInformer, secretInformer, TrustDomain);

        using var ca = CertificateAuthority.CreateRoot(TrustDomain, TimeProvider.System);
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var trust = new TrustSnapshot(new AuthorityState(ca, null, null, null, false, [], null, 1), TimeProvider.System, TimeSpan.FromMinutes(10),
            new JwtKeySet(key, [key], 1));
        var options = new OperatorOptions
        {
            IssuerPort = 0,
            IssuerAddress = IPAddress.Loopback,
            TokenLimits = new TokenLimits(TokensPerClientPerSecond: 1e9, ClientBurst: int.MaxValue, RefusalsPerAddressPerSecond: 1e9, RefusalBurst: int.MaxValue),
        };
        var metrics = new SigilMetrics();
        await using var server = await IssuerServer.StartAsync(options, () => trust, TimeProvider.System, NullLogger.Instance, CancellationToken.None, clients, metrics);
        var endpoint = new Uri(server.Url + IssuerDocuments.TokenPath);
        Console.WriteLine($"token endpoint {endpoint}: {identityCount} identities in the caches, {clientCount} clients, {concurrency} concurrent requests, "
            + $"{Environment.ProcessorCount} cores, client_secret_basic, ES256");

        foreach (var version in flags.Contains("--hot-path-only") ? [] : new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var http = new HttpClient(Handler(trust.BundlePem, concurrency));
            await RunOnceAsync(http, version, endpoint, clientSecrets, Math.Min(2000, requests / 5), concurrency, print: null);
            await RunOnceAsync(http, version, endpoint, clientSecrets, requests, concurrency, print: $"HTTP/{version}");
        }
        HotPath(clients, trust, clientSecrets, requests);
        Calibrate(key);
        Console.WriteLine($"issued {metrics.TokensIssued.WithLabels(ClientSecretBasic.Name).Value} tokens; errors: {metrics.TokenErrors.WithLabels(TokenError.InvalidClientCode).Value} invalid_client");

        await stop.CancelAsync();
        await Task.WhenAll(informers);
    }

    private static async Task RunOnceAsync(HttpClient http, Version version, Uri endpoint, IReadOnlyList<(string Id, string Secret)> clients, int requests, int concurrency, string? print)
    {
        var latencies = new double[requests];
        var next = -1;
        var failures = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        var headers = clients.Select(c => new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(c.Id)}:{Uri.EscapeDataString(c.Secret)}")))).ToArray();
        var body = "grant_type=client_credentials&audience=orders&scope=orders.read"u8.ToArray();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                request.Headers.Authorization = headers[i % headers.Length];
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
                var start = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        clock.Stop();
        if (print is null)
        {
            return;
        }
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{print,-9} {requests} tokens in {clock.Elapsed.TotalSeconds:F2}s: {requests / clock.Elapsed.TotalSeconds,8:F0} tokens/s, "
            + $"{requests / cpuSeconds,6:F0} tokens per CPU-second (process, client included); latency p50 {P(0.50):F2} ms, p90 {P(0.90):F2} ms, "
            + $"p99 {P(0.99):F2} ms, max {latencies[^1]:F2} ms; {failures} non-200; "
            + $"{(GC.GetTotalAllocatedBytes() - allocated) / requests / 1024.0:F1} KiB allocated per token (both sides), {GC.CollectionCount(0) - gen0} gen0 GCs"));
    }

    /// <summary>Authenticate, decide and sign without HTTP, on one thread: the ceiling one core sets.</summary>
    private static void HotPath(InformerTokenClients clients, TrustSnapshot trust, IReadOnlyList<(string Id, string Secret)> callers, int requests)
    {
        var authenticators = ClientAuthenticators.Default();
        var form = TokenForm.Of(("grant_type", "client_credentials"), ("audience", "orders"), ("scope", "orders.read"));
        var headers = callers.Select(c => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(c.Id)}:{Uri.EscapeDataString(c.Secret)}"))).ToArray();
        var (phaseAuth, phaseDecide, phaseSign) = (0L, 0L, 0L);
        var (bytesAuth, bytesDecide, bytesSign) = (0L, 0L, 0L);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            var t0 = Stopwatch.GetTimestamp();
            var context = new TokenRequestContext(form, headers[i % headers.Length], null, clients, trust, "https://127.0.0.1:8443", "https://127.0.0.1:8443/oauth2/token", DateTimeOffset.UtcNow);
            var auth = authenticators.Authenticate(context);
            var t1 = Stopwatch.GetTimestamp();
            var a1 = GC.GetAllocatedBytesForCurrentThread();
            var (asked, _) = TokenRequest.Read(form);
            var (grant, _) = TokenGrantPolicy.Decide(new TokenGrantInput(auth.Client!.Identity, auth.Client.ClientId, asked!,
                clients.Receivers(asked!.Target, auth.Client.Identity), [.. clients.WithClientId(auth.Client.ClientId).Select(c => c.Identity)], TrustDomain));
            var t2 = Stopwatch.GetTimestamp();
            var a2 = GC.GetAllocatedBytesForCurrentThread();
            var now = context.Now;
            AccessTokens.Sign(trust.JwtKeys.Signer!, new AccessTokenClaims(context.IssuerUrl, auth.Client.ClientId, grant!.Audience, grant.Scopes, now, now.AddMinutes(15), AccessTokens.NewJwtId()));
            var t3 = Stopwatch.GetTimestamp();
            var a3 = GC.GetAllocatedBytesForCurrentThread();
            (bytesAuth, bytesDecide, bytesSign) = (bytesAuth + a1 - a0, bytesDecide + a2 - a1, bytesSign + a3 - a2);
            (phaseAuth, phaseDecide, phaseSign) = (phaseAuth + t1 - t0, phaseDecide + t2 - t1, phaseSign + t3 - t2);
        }
        clock.Stop();
        double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / requests;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hot path (no HTTP/TLS, one thread): {requests / clock.Elapsed.TotalSeconds:F0} tokens/s; per token: authenticate {Us(phaseAuth):F1} us, "
            + $"decide {Us(phaseDecide):F1} us, sign {Us(phaseSign):F1} us; {(GC.GetAllocatedBytesForCurrentThread() - allocated) / requests / 1024.0:F1} KiB allocated "
            + $"(authenticate {bytesAuth / requests} B, decide {bytesDecide / requests} B, sign {bytesSign / requests} B)"));
    }

    /// <summary>
    /// Bare ECDSA P-256 signatures on one thread for a second: PRODUCT.md measured about 33,000/s on an idle core. A figure
    /// far below that says the machine was busy, and scales every other figure of the run.
    /// </summary>
    private static void Calibrate(JwtSigningKey key)
    {
        var input = new byte[200];
        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 1000)
        {
            key.Sign(input);
            count++;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibration: {count / clock.Elapsed.TotalSeconds:F0} bare ES256 signatures/s on one thread (about 33,000 on an idle core); load average {LoadAverage()}"));
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>N identities in 10 namespaces; the first clientCount of shop-0 are clients with a secret, and orders accepts them all.</summary>
    private static (ServiceIdentity[], V1Secret[], List<(string, string)>) World(int count, int clientCount)
    {
        var identities = new List<ServiceIdentity>();
        var secrets = new List<V1Secret>();
        var clientSecrets = new List<(string, string)>();
        var accepted = new List<AcceptedCaller>();
        for (var i = 0; i < count - 1; i++)
        {
            var ns = $"shop-{i % 10}";
            var name = $"svc-{i}";
            var identity = new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString(), ResourceVersion = "1" },
                Spec = new ServiceIdentitySpec { OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec() } },
            };
            identities.Add(identity);
            if (ns == "shop-0" && clientSecrets.Count < clientCount)
            {
                var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                var id = $"spiffe://{TrustDomain}/ns/{ns}/sa/{name}";
                clientSecrets.Add((id, secret));
                accepted.Add(new AcceptedCaller { ServiceIdentity = name, Scopes = ["orders.read", "orders.write"] });
                secrets.Add(new V1Secret
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = name + "-oauth2",
                        NamespaceProperty = ns,
                        ResourceVersion = "1",
                        Labels = new Dictionary<string, string> { [Labels.ManagedBy] = Labels.ManagedByValue, [Labels.Identity] = name },
                        OwnerReferences = [new V1OwnerReference { ApiVersion = "sigil.dev/v1alpha1", Kind = "ServiceIdentity", Name = name, Uid = identity.Metadata.Uid }],
                        Annotations = new Dictionary<string, string>
                        {
                            [ClientSecretVerifiers.Annotation] = ClientSecretVerifiers.Format([ClientSecretVerifiers.Entry("k2", secret),
                                ClientSecretVerifiers.Entry("k1", "previous-" + secret, DateTimeOffset.UtcNow.AddHours(1))]),
                        },
                    },
                });
            }
        }
        identities.Add(new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "orders", NamespaceProperty = "shop-0", Uid = Guid.NewGuid().ToString(), ResourceVersion = "1" },
            Spec = new ServiceIdentitySpec { AcceptsFrom = accepted },
        });
        return ([.. identities], [.. secrets], clientSecrets);
    }

    private static SocketsHttpHandler Handler(string bundlePem, int connections)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(Pem(bundlePem));
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            MaxConnectionsPerServer = connections,
            EnableMultipleHttp2Connections = false,
        };
    }

    private static X509Certificate2Collection Pem(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return collection;
    }

    /// <summary>Lists what it was given and then watches nothing: a cache that does not change during the run.</summary>
    private sealed class StaticSource<T>(IReadOnlyList<T> items) : IResourceSource<T> where T : IKubernetesObject<V1ObjectMeta>
    {
        public string Description => "static";

        public Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken ct) => Task.FromResult((items, "1"));

        public async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, Action<Exception> onError,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            yield break;
        }
    }
}
