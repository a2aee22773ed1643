using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Sigil.Api;
using Sigil.LocalControlPlane.Http;
using Sigil.Operator;
using Sigil.Tests.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Operator;

/// <summary>Restarts, replicas, API faults and the cost in API writes: what makes the operator safe to run.</summary>
public sealed class ReliabilityTests
{
    private static readonly string[] Algorithms = ["ECDSAP256", "Ed25519", "RSA2048"];

    [Fact]
    public async Task A_restarted_operator_keeps_the_CA_and_reissues_nothing_that_is_still_valid()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("keep"));
        var before = await op.WaitForAsync(ns, "keep", Reasons.Issued);
        var caBefore = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("sigil-ca", op.Options.Namespace);

        await op.StopAsync();
        var local = cluster.RequireLocal();
        local.Requests.Clear();
        await op.StartAsync();
        await op.FirstPassAsync(ns, "keep");

        var after = await op.GetAsync(ns, "keep");
        var caAfter = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("sigil-ca", op.Options.Namespace);
        Assert.Equal(before.Status!.X509!.SerialNumber, after.Status!.X509!.SerialNumber);
        Assert.Equal(caBefore.Metadata.ResourceVersion, caAfter.Metadata.ResourceVersion);
        Assert.Equal(0, local.Requests.Writes());
    }

    [Fact]
    public async Task An_idle_identity_costs_no_API_writes_and_an_issuance_costs_at_most_three()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("warmup"));
        await op.WaitForAsync(ns, "warmup", Reasons.Issued);
        // The test's own pokes are the only writes to the identity itself; the operator writes its status, Secrets and events.
        List<RecordedRequest> OperatorWrites() => [.. local.Requests.All.Where(r => r.Verb is "create" or "update" or "patch" or "delete" or "deletecollection"
            && !(r.Resource == "serviceidentities" && r.Subresource is null))];
        Task Poke(string value) => op.PatchAsync(ns, "warmup", "{\"metadata\":{\"labels\":{\"poke\":\"" + value + "\"}}}");
        await op.PassAfterAsync(ns, "warmup", () => Poke("settle"));

        local.Requests.Clear();
        await op.PatchAsync(ns, "warmup", """{"metadata":{"annotations":{"sigil.dev/rotate":"count-me"}}}""");
        await op.WaitForAsync(ns, "warmup", Reasons.Issued, i => i.Status!.LastRotationRequest == "count-me");
        // A pass that begins after the rotation is visible runs after the rotating pass has finished (event included), and shows any write it would add.
        await op.PassAfterAsync(ns, "warmup", () => Poke("after-rotation"));
        var issuance = OperatorWrites();
        local.Requests.Clear();
        await op.PassAfterAsync(ns, "warmup", () => Poke("idle"));

        Assert.Empty(OperatorWrites());
        Assert.True(issuance.Count == 3, $"an issuance took {issuance.Count} writes: " + string.Join(", ", issuance.Select(r => $"{r.Verb} {r.Resource}/{r.Subresource}")));
    }

    [Fact]
    public async Task A_key_rotation_costs_six_API_writes_and_an_idle_key_none()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("payments", "orders"));
        var first = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        // The test's own pokes are the only writes to the identities themselves.
        List<RecordedRequest> Writes() => [.. local.Requests.All.Where(r => r.Verb is "create" or "update" or "patch" or "delete" or "deletecollection"
            && !(r.Resource == "serviceidentities" && r.Subresource is null))];
        async Task PassOverBothAsync(string poke)
        {
            foreach (var name in new[] { "payments", "orders" })
            {
                await op.PassAfterAsync(ns, name, () => op.PatchAsync(ns, name, "{\"metadata\":{\"labels\":{\"poke\":\"" + poke + "\"}}}"));
            }
        }
        await PassOverBothAsync("settle");

        local.Requests.Clear();
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"count-keys"}}}""");
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.ApiKeys![0].CurrentKeyId != first.Status!.ApiKeys![0].CurrentKeyId);
        await Eventually.TrueAsync(() => Task.FromResult(Writes().Count >= 6), TimeSpan.FromSeconds(10), "a key rotation made fewer than 6 writes");
        // Passes that begin after that run after the rotating ones have finished, and show any write they would add.
        await PassOverBothAsync("after-rotation");
        var writes = Writes();
        local.Requests.Clear();
        await PassOverBothAsync("idle");

        Assert.Empty(Writes());
        // next key into the caller Secret, into keys.json, promoted in the caller Secret, old key retired in keys.json, status, event.
        Assert.True(writes.Count == 6, $"a key rotation took {writes.Count} writes: " + string.Join(", ", writes.Select(r => $"{r.Verb} {r.Resource}/{r.Subresource} {r.Name}")));
    }

    [Fact]
    public async Task Only_the_leader_reconciles_and_another_replica_takes_over_when_it_dies()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var options = OperatorUnderTest.Replicas with
        {
            Namespace = "sigil-ha",
            BundlePropagation = TimeSpan.Zero,
        };
        await using var first = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-a" });
        await using var second = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-b" });
        var ns = await cluster.CreateNamespaceAsync();
        await Eventually.TrueAsync(() => Task.FromResult(first.Host!.IsLeader || second.Host!.IsLeader));
        var (leader, follower) = first.Host!.IsLeader ? (first, second) : (second, first);

        await leader.CreateAsync(ns, OperatorUnderTest.Identity("ha1"));
        await leader.WaitForAsync(ns, "ha1", Reasons.Issued);
        Assert.False(follower.Host!.IsLeader);
        Assert.DoesNotContain(follower.Logs.Lines, l => l.Contains("Issued certificate", StringComparison.Ordinal));

        await leader.StopAsync();
        // A leader that stops hands its Lease back (as client-go's ReleaseOnCancel), so a rolling update waits no lease out.
        Assert.Contains(leader.Logs.Lines, l => l.Contains("released the leadership", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Task.FromResult(follower.Host.IsLeader), TimeSpan.FromSeconds(20), "the follower never took over");
        await follower.CreateAsync(ns, OperatorUnderTest.Identity("ha2"));
        await follower.WaitForAsync(ns, "ha2", Reasons.Issued);

        var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync(OperatorHost.LeaseName, "sigil-ha");
        Assert.Equal(follower.Options.Identity, lease.Spec.HolderIdentity);
        Assert.Contains(follower.Logs.Lines, l => l.Contains("Issued certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_whose_watch_cannot_read_what_it_is_sent_stops_with_the_error_instead_of_running_blind()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var op = await OperatorUnderTest.StartAsync(cluster, start: false);
        var unreadable = new UnreadableSecretWatches();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath), unreadable);
        var host = new OperatorHost(op.Options, client, op.Logs, TimeProvider.System);
        var running = host.RunAsync(TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => Task.FromResult(host.Ready), TimeSpan.FromSeconds(30), "the operator never became ready");

        // After the caches synced: the informer's next watch of Secrets reads nothing it can parse.
        unreadable.Broken = true;
        local.Faults.CutWatches();
        var stopped = await Record.ExceptionAsync(() => running.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        Assert.NotNull(stopped);
        Assert.IsNotType<TimeoutException>(stopped);
        Assert.Contains(op.Logs.Lines, l => l.Contains("secrets (managed by sigil)", StringComparison.Ordinal) && l.Contains("not retried", StringComparison.Ordinal));
    }

    /// <summary>Once broken, answers every watch of Secrets with an event whose object is not a Secret, as a build missing
    /// its JSON metadata reads them all.</summary>
    private sealed class UnreadableSecretWatches : DelegatingHandler
    {
        public volatile bool Broken;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Broken && request.RequestUri!.AbsolutePath.EndsWith("/secrets", StringComparison.Ordinal) && request.RequestUri.Query.Contains("watch=true", StringComparison.Ordinal)
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent("{\"type\":\"ADDED\",\"object\":\"not a Secret\"}\n") })
                : base.SendAsync(request, cancellationToken);
    }

    [Fact]
    public async Task Identities_converge_through_500s_409s_and_cut_watches()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();

        local.Faults.FailNext(3, 500, r => r.Resource == "secrets" && r.Verb == "create");
        local.Faults.FailNext(2, 409, r => r.Resource == "serviceidentities" && r.Subresource == "status");
        for (var i = 0; i < 5; i++)
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity($"f{i}"));
        }
        local.Faults.CutWatches();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("after-cut"));

        var bundle = "";
        foreach (var name in Enumerable.Range(0, 5).Select(i => $"f{i}").Append("after-cut"))
        {
            var identity = await op.WaitForAsync(ns, name, Reasons.Issued, within: TimeSpan.FromSeconds(30));
            var secret = (await op.SecretAsync(ns, $"{name}-svid"))!;
            bundle = OperatorUnderTest.Text(secret, "ca.crt");
            using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text(secret, "tls.crt"), OperatorUnderTest.Text(secret, "tls.key"));
            SvidIssuerTests.AssertChainsTo(leaf, bundle);
            Assert.Equal(Convert.ToHexStringLower(leaf.SerialNumberBytes.Span), identity.Status!.X509!.SerialNumber);
        }
        Assert.Equal(bundle, (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns)).Data["ca.crt"]);
        // The passes that failed are counted, under the identities they failed for.
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");
        var errors = metrics.Split('\n').Where(l => l.StartsWith("sigil_issuance_errors_total{", StringComparison.Ordinal) && l.Contains($"namespace=\"{ns}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(errors >= 3, $"{errors} failed passes counted in {ns}, after 3 failed Secret creates:\n{metrics}");
    }

    [Fact]
    public async Task Logs_events_and_status_never_contain_key_material()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        foreach (var algorithm in Algorithms)
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity($"k-{algorithm.ToLowerInvariant()}", new Sigil.Api.X509Spec { KeyAlgorithm = algorithm }));
        }
        var keys = new List<string>();
        foreach (var algorithm in Algorithms)
        {
            await op.WaitForAsync(ns, $"k-{algorithm.ToLowerInvariant()}", Reasons.Issued);
            keys.Add(OperatorUnderTest.Text((await op.SecretAsync(ns, $"k-{algorithm.ToLowerInvariant()}-svid"))!, "tls.key"));
        }
        var caKey = OperatorUnderTest.Text(await cluster.Client.CoreV1.ReadNamespacedSecretAsync("sigil-ca", op.Options.Namespace), "tls.key");
        keys.Add(caKey);
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("receiver", "bearer", "hmac"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("bearer", "receiver"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("hmac", "receiver", type: "HMACSHA256"));
        await op.WaitForAsync(ns, "bearer", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        await op.WaitForAsync(ns, "hmac", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        await op.PatchAsync(ns, "bearer", """{"metadata":{"annotations":{"sigil.dev/rotate":"logs"}}}""");
        await op.WaitForAsync(ns, "bearer", Reasons.Issued, i => i.Status!.ApiKeys![0].ActiveKeyIds!.Count == 2);
        var apiKeys = new List<string>
        {
            OperatorUnderTest.Text((await op.SecretAsync(ns, "bearer-k-apikey"))!, "api-key"),
            OperatorUnderTest.Text((await op.SecretAsync(ns, "hmac-k-apikey"))!, "hmac-secret"),
        };

        var events = string.Join("\n", (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Select(e => e.Message));
        var statuses = string.Join("\n", await Task.WhenAll(Algorithms.Select(async a => Sigil.Reconciliation.StatusBuilder.ToJson((await op.GetAsync(ns, $"k-{a.ToLowerInvariant()}")).Status))));
        Assert.NotEmpty(events);
        foreach (var key in keys)
        {
            var body = key.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
            foreach (var chunk in body.Where(l => l.Length >= 16))
            {
                Assert.DoesNotContain(chunk, op.Logs.All, StringComparison.Ordinal);
                Assert.DoesNotContain(chunk, events, StringComparison.Ordinal);
                Assert.DoesNotContain(chunk, statuses, StringComparison.Ordinal);
            }
        }
        Assert.DoesNotContain("PRIVATE KEY", op.Logs.All, StringComparison.Ordinal);
        var allEvents = string.Join("\n", (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Select(e => e.Message));
        var keyStatuses = Sigil.Reconciliation.StatusBuilder.ToJson((await op.GetAsync(ns, "bearer")).Status) + Sigil.Reconciliation.StatusBuilder.ToJson((await op.GetAsync(ns, "hmac")).Status);
        foreach (var secret in apiKeys.Select(k => k.Length > 20 ? k[^20..] : k))
        {
            Assert.DoesNotContain(secret, op.Logs.All, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, allEvents, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, keyStatuses, StringComparison.Ordinal);
        }
    }
}
