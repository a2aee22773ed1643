using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.LocalControlPlane;
using Sigil.Operator;
using Sigil.Runtime;

namespace Sigil.Benchmarks;

/// <summary>
/// A CA rotation across N identities on the local control plane, the operator in-process behind the same rate-limited
/// client `sigil local` gives it: once all are Ready, a manual rotation (sigil.dev/rotate on sigil-ca); prints how long
/// until every leaf is signed by the new CA and until the old CA left every bundle, API writes per identity by
/// verb and resource, the peak write rate against the configured QPS, and verification failures at the end.
/// </summary>
/// <remarks>
/// After a manual rotation leaves move within --bundle-propagation, at the rate the client's limit allows. The harness
/// starts the operator with a short --ca-ttl (24 x N / QPS seconds, at least 3 minutes) so that the new CA's own
/// successor is prepared within the run, which marks the end of what is counted as this rotation's writes.
/// The QPS defaults to max(50, N / 20): the operator's default 50 would need 3 x 10,000 / 50 = 10 minutes for the
/// first issuance of 10,000 identities alone.
/// </remarks>
internal static class CaRotationHarness
{
    private const int Namespaces = 10;
    private const string CaNamespace = "sigil-system";

    public static async Task RunAsync(int count, string[] flags)
    {
        string? Flag(string name) => flags.SkipWhile(f => f != name).Skip(1).FirstOrDefault();
        var qps = Flag("--kube-api-qps") is { } q ? double.Parse(q, CultureInfo.InvariantCulture) : Math.Max(50, count / 20);
        var burst = Flag("--kube-api-burst") is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : (int)(2 * qps);
        var propagation = TimeSpan.FromSeconds(Flag("--bundle-propagation-seconds") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : 10);
        var caTtl = Flag("--ca-ttl-seconds") is { } t ? TimeSpan.FromSeconds(int.Parse(t, CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(Math.Max(180, Math.Ceiling(24 * count / qps)));

        await using var cluster = await LocalCluster.StartAsync();
        var options = new OperatorOptions
        {
            Namespace = CaNamespace, MetricsPort = 0, HealthPort = 0, Workers = Environment.ProcessorCount * 2,
            CaTtl = caTtl, BundlePropagation = propagation, KubeApiQps = qps, KubeApiBurst = burst,
            IssuerPort = 0, IssuerAddress = System.Net.IPAddress.Loopback,
        };
        await LocalSetup.InstallAsync(cluster.Client, options.Namespace, CancellationToken.None);
        for (var n = 0; n < Namespaces; n++)
        {
            await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"rot-{n}" } });
        }
        IReadOnlyList<Sigil.LocalControlPlane.Http.RecordedRequest>? cut = null;
        // The successor CA reaches half its lifetime during a short run and is prepared in its turn: writes are counted up
        // to that step (taken after the pass that trimmed every Secret's ca.crt), so they are this rotation's alone.
        var caLog = new CaStepLog { AfterDropPrepare = () => cut ??= cluster.Requests.All };
        using var loggers = LoggerFactory.Create(l => l.AddProvider(caLog));
        // As LocalCommand does: the operator's own client, rate-limited; the recorder sits inside the limiter and notes
        // when each write came back, which is when the server had served it.
        using var limiter = new KubeApiLimiter(options.KubeApiQps, options.KubeApiBurst);
        var writes = new WriteClock();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath), limiter.Handler(), writes);
        using var stop = new CancellationTokenSource();
        var host = new OperatorHost(options, client, loggers, TimeProvider.System) { Limiter = limiter };
        var running = host.RunAsync(stop.Token);
        var watch = Stopwatch.StartNew();
        while (!host.Ready)
        {
            await Task.Delay(50);
        }
        caLog.Watch = watch;

        Console.WriteLine($"identities:                  {count} in {Namespaces} namespaces; --kube-api-qps {qps}, --kube-api-burst {burst}, "
            + $"--ca-ttl {caTtl.TotalSeconds:F0}s, --bundle-propagation {propagation.TotalSeconds:F0}s");
        await CreateIdentitiesAsync(cluster.Client, count);
        var ready = await WaitReadyAsync(cluster.Client, count, watch);
        Console.WriteLine($"all Ready after:             {watch.Elapsed.TotalSeconds:F1} s ({ready} ready)");
        var original = await ActiveCaAsync(cluster.Client);

        cluster.Requests.Clear();
        writes.Clear();
        var waitedBefore = limiter.Waited;
        var trigger = watch.Elapsed;
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(
            new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Labels.RotateAnnotation] = $"bench-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}" } } }.ToJsonString(),
            V1Patch.PatchType.MergePatch),
            AuthorityManagerSecret, CaNamespace);
        Console.WriteLine($"rotation triggered at:       {trigger.TotalSeconds:F1} s (kubectl annotate secret sigil-ca sigil.dev/rotate=...)");

        // Until every leaf is signed by another CA than the one that signed them all: a full list every 5 s.
        TimeSpan? allMoved = null;
        X509Certificate2? successor = null;
        var deadline = trigger + caTtl + TimeSpan.FromMinutes(2);
        while (allMoved is null && watch.Elapsed < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            successor = await ActiveCaAsync(cluster.Client);
            if (successor.Thumbprint == original.Thumbprint)
            {
                continue;
            }
            var leaves = await LeavesAsync(cluster.Client);
            var moved = leaves.Count(l => l.Leaf.Issuer == successor.Subject);
            Console.WriteLine($"  {watch.Elapsed.TotalSeconds,6:F0} s: {moved} of {leaves.Count} leaves signed by the new CA");
            if (moved == count)
            {
                allMoved = watch.Elapsed;
            }
        }
        // Until the old CA left every namespace's bundle: the ConfigMaps every second.
        TimeSpan? dropped = null;
        while (allMoved is not null && dropped is null && watch.Elapsed < deadline)
        {
            var maps = await cluster.Client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=sigil-trust-bundle");
            if (maps.Items.Count == Namespaces && maps.Items.All(m => !m.Data["ca.crt"].Contains(Pem(original), StringComparison.Ordinal)))
            {
                dropped = watch.Elapsed;
            }
            else
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
        // The Secrets' ca.crt are trimmed after the bundles: let that settle before counting writes.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromMinutes(2) && (await LeavesAsync(cluster.Client)).Any(l => l.Bundle.Contains(Pem(original), StringComparison.Ordinal)))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
        var requests = cut ?? cluster.Requests.All;
        var waited = limiter.Waited - waitedBefore;

        Console.WriteLine($"every leaf on the new CA:    {Seconds(allMoved - trigger)} after the trigger");
        Console.WriteLine($"old CA out of every bundle:  {Seconds(dropped - trigger)} after the trigger");
        Console.WriteLine("CA steps (s since start):    " + string.Join("; ", caLog.Lines));
        var rotationWrites = requests.Where(r => r.Verb is "create" or "update" or "patch" or "delete"
            && !(r.Resource == "secrets" && r.Name == AuthorityManagerSecret && r.Verb == "patch")).ToList();
        Console.WriteLine($"API writes in the rotation:  {rotationWrites.Count} ({(double)rotationWrites.Count / count:F2} per identity; PRODUCT.md promises at most 5)");
        foreach (var g in rotationWrites.GroupBy(r => $"{r.Verb} {r.Resource}{(r.Subresource is null ? "" : "/" + r.Subresource)}").OrderByDescending(g => g.Count()))
        {
            Console.WriteLine($"  {g.Key,-36} {g.Count(),7} ({(double)g.Count() / count:F2} per identity)");
        }
        var (peak, peakAt) = writes.PeakPer(TimeSpan.FromSeconds(1));
        var (peak10, _) = writes.PeakPer(TimeSpan.FromSeconds(10));
        Console.WriteLine($"peak write rate:             {peak} writes in one 1 s window (at {peakAt.TotalSeconds:F0} s after the trigger); "
            + $"--kube-api-qps {qps}, --kube-api-burst {burst}; busiest 10 s: {peak10 / 10.0:F1} writes/s; the limiter held requests back {waited.TotalSeconds:F1} s in total");
        if (cut is not null)
        {
            Console.WriteLine($"(writes counted until the successor CA was prepared in its turn: {requests.Count} of {cluster.Requests.All.Count} requests)");
        }

        await stop.CancelAsync();
        await running;
        await VerifyAsync(cluster.Client, count, successor!);
    }

    private const string AuthorityManagerSecret = "sigil-ca";

    /// <summary>
    /// Every leaf against every namespace's bundle and its own ca.crt with .NET's X509Chain (custom trust, nothing from
    /// the system store); identical bundles are built once. Then a sample of leaves through openssl verify.
    /// </summary>
    private static async Task VerifyAsync(IKubernetes admin, int count, X509Certificate2 successor)
    {
        var leaves = await LeavesAsync(admin);
        var maps = await admin.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=sigil-trust-bundle");
        var bundles = maps.Items.Select(m => m.Data["ca.crt"]).Concat(leaves.Select(l => l.Bundle)).Distinct(StringComparer.Ordinal).ToList();
        var failures = 0;
        var checks = 0;
        foreach (var pem in bundles)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(pem);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            foreach (var (_, leaf, _, intermediates) in leaves)
            {
                chain.Reset();
                chain.ChainPolicy.ExtraStore.Clear();
                chain.ChainPolicy.ExtraStore.AddRange(intermediates);
                checks++;
                if (!chain.Build(leaf))
                {
                    failures++;
                }
            }
        }
        Console.WriteLine($"verification (.NET X509Chain): {failures} failures in {checks} checks ({leaves.Count} leaves x {bundles.Count} distinct bundles, "
            + $"from {maps.Items.Count} namespace bundles and {leaves.Count} Secrets' ca.crt)");
        Console.WriteLine($"leaves signed by the new CA: {leaves.Count(l => l.Leaf.Issuer == successor.Subject)} of {count}; "
            + $"distinct bundles at the end hold {string.Join(" and ", bundles.Select(CountCertificates))} CAs (more than one: the successor's own successor, prepared)");

        var folder = Directory.CreateTempSubdirectory("sigil-ca-rotation-").FullName;
        try
        {
            var sample = leaves.OrderBy(_ => Random.Shared.Next()).Take(50).ToList();
            var files = new List<string>();
            foreach (var (name, leaf, _, _) in sample)
            {
                files.Add($"{name}.pem");
                await File.WriteAllTextAsync(Path.Combine(folder, $"{name}.pem"), leaf.ExportCertificatePem() + "\n");
            }
            var opensslFailures = 0;
            var n = 0;
            foreach (var pem in maps.Items.Select(m => m.Data["ca.crt"]))
            {
                var ca = $"bundle-{n++}.pem";
                await File.WriteAllTextAsync(Path.Combine(folder, ca), pem);
                var verify = Process.Start(new ProcessStartInfo("openssl", ["verify", "-CAfile", ca, .. files]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true })!;
                var stdout = await verify.StandardOutput.ReadToEndAsync();
                await verify.StandardError.ReadToEndAsync();
                await verify.WaitForExitAsync();
                opensslFailures += files.Count - stdout.Split('\n').Count(l => l.EndsWith(": OK", StringComparison.Ordinal));
            }
            Console.WriteLine($"verification (openssl):      {opensslFailures} failures: {sample.Count} random leaves against each of the {maps.Items.Count} namespace bundles");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed record LeafFacts(string Name, X509Certificate2 Leaf, string Bundle, X509Certificate2Collection Intermediates);

    private static async Task<List<LeafFacts>> LeavesAsync(IKubernetes admin)
    {
        var secrets = await admin.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: Labels.Identity);
        var leaves = new List<LeafFacts>();
        foreach (var s in secrets.Items.Where(s => s.Type == "kubernetes.io/tls"))
        {
            var all = new X509Certificate2Collection();
            all.ImportFromPem(Encoding.ASCII.GetString(s.Data["tls.crt"]));
            leaves.Add(new($"{s.Metadata.NamespaceProperty}.{s.Metadata.Name}", all[0], Encoding.ASCII.GetString(s.Data["ca.crt"]), [.. all.Skip(1)]));
        }
        return leaves;
    }

    private static async Task<X509Certificate2> ActiveCaAsync(IKubernetes admin)
    {
        var secret = await admin.CoreV1.ReadNamespacedSecretAsync(AuthorityManagerSecret, CaNamespace);
        return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(secret.Data["tls.crt"]));
    }

    private static string Pem(X509Certificate2 c) => PemEncoding.WriteString("CERTIFICATE", c.RawData);

    private static int CountCertificates(string pem)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(pem);
        return all.Count;
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:F1} s" : "never (timed out)";

    private static Task CreateIdentitiesAsync(IKubernetes client, int count) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                Spec = new ServiceIdentitySpec { X509 = new X509Spec() },
            }, ServiceIdentity.Group, ServiceIdentity.Version, $"rot-{i % Namespaces}", ServiceIdentity.Plural, cancellationToken: ct));

    private static async Task<int> WaitReadyAsync(IKubernetes client, int count, Stopwatch watch)
    {
        int ready;
        do
        {
            await Task.Delay(500);
            var list = await client.CustomObjects.ListClusterCustomObjectAsync<ServiceIdentityList>(ServiceIdentity.Group, ServiceIdentity.Version, ServiceIdentity.Plural);
            ready = list.Items.Count(i => i.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        }
        while (ready < count && watch.Elapsed < TimeSpan.FromMinutes(20));
        return ready;
    }

    /// <summary>When each write the operator sent came back, to find the busiest second.</summary>
    private sealed class WriteClock : DelegatingHandler
    {
        private readonly ConcurrentQueue<long> _done = new();
        private long _start = Stopwatch.GetTimestamp();

        public void Clear()
        {
            _done.Clear();
            _start = Stopwatch.GetTimestamp();
        }

        public (int Peak, TimeSpan At) PeakPer(TimeSpan window)
        {
            var times = _done.Select(t => Stopwatch.GetElapsedTime(_start, t)).Order().ToList();
            var (peak, at, first) = (0, TimeSpan.Zero, 0);
            for (var last = 0; last < times.Count; last++)
            {
                while (times[last] - times[first] >= window)
                {
                    first++;
                }
                if (last - first + 1 > peak)
                {
                    (peak, at) = (last - first + 1, times[first]);
                }
            }
            return (peak, at);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get)
            {
                _done.Enqueue(Stopwatch.GetTimestamp());
            }
            return response;
        }
    }

    /// <summary>The operator's "CA {Step}" lines, with the second they came at.</summary>
    private sealed class CaStepLog : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public Stopwatch? Watch { get; set; }

        /// <summary>Called once a CA is prepared after a CA was dropped: the next rotation begins.</summary>
        public Action? AfterDropPrepare { get; init; }

        private bool _dropped;

        public IEnumerable<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (message.StartsWith("CA ", StringComparison.Ordinal) || message.StartsWith("CA lifecycle", StringComparison.Ordinal))
            {
                var step = message.Split(':')[0];
                _lines.Enqueue($"{Watch?.Elapsed.TotalSeconds:F0} {step}");
                _dropped |= step == "CA Drop";
                if (_dropped && step == "CA Prepare")
                {
                    AfterDropPrepare?.Invoke();
                }
            }
        }
    }
}
