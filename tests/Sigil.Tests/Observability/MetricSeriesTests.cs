using k8s;
using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Observability;

/// <summary>
/// Which series an identity has on /metrics over its life: one for each of its credentials while it exists, its readiness,
/// and none at all once it is deleted (a dashboard or alert must not go on showing an identity nobody has any more).
/// </summary>
public sealed class MetricSeriesTests
{
    /// <summary>Every series that carries an identity's labels, by metric name.</summary>
    private static readonly string[] PerIdentity =
    [
        "sigil_certificate_expiration_timestamp_seconds",
        "sigil_certificate_renewal_timestamp_seconds",
        "sigil_apikey_next_rotation_timestamp_seconds",
        "sigil_jwt_renewal_timestamp_seconds",
        "sigil_rotations_total",
        "sigil_issuance_errors_total",
        "sigil_identity_ready",
    ];

    [Fact]
    public async Task A_deleted_identity_leaves_no_series_of_any_metric_behind()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.WaitForAsync(ns, "orders", Reasons.Issued);
        // One failed pass, so the identity has an issuance error series too.
        cluster.RequireLocal().Faults.FailNext(1, 500, r => r.Resource == "secrets" && r.Verb == "create" && r.Namespace == ns);
        await op.CreateAsync(ns, Everything("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued,
            i => i.Status?.ApiKeys is { Count: 2 } && i.Status.X509 is not null && i.Status.Jwt is not null && i.Status.OAuth2?.CurrentKeyId is not null);

        var before = await ScrapeAsync(op);
        foreach (var metric in PerIdentity)
        {
            Assert.True(SeriesOf(before, ns, "payments").Any(line => line.StartsWith(metric + "{", StringComparison.Ordinal)),
                $"{metric} has no series for {ns}/payments while it exists");
        }
        foreach (var kind in new[] { "apikey", "hmac", "oauth2" })
        {
            Assert.Contains(SeriesOf(before, ns, "payments"), line => line.StartsWith("sigil_apikey_next_rotation_timestamp_seconds{", StringComparison.Ordinal)
                && line.Contains($"kind=\"{kind}\"", StringComparison.Ordinal));
        }

        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, "payments");

        var after = await ScrapeAsync(op);
        for (var deadline = DateTime.UtcNow.AddSeconds(20); SeriesOf(after, ns, "payments").Any() && DateTime.UtcNow < deadline; after = await ScrapeAsync(op))
        {
            await Task.Delay(100);
        }
        Assert.Empty(SeriesOf(after, ns, "payments"));
        Assert.Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"orders\"}} 1", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_key_removed_from_the_spec_takes_its_next_rotation_series_with_it()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.CreateAsync(ns, Everything("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 2 });

        await op.PatchAsync(ns, "payments", """{"spec":{"apiKeys":[{"name":"bearer","audience":"orders","rotation":{"every":"720h"}}]}}""");
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });

        string metrics = "";
        await Eventually.TrueAsync(async () => !(metrics = await ScrapeAsync(op)).Contains("key=\"signed\"", StringComparison.Ordinal),
            because: "the removed HMAC key still has a next-rotation series");
        Assert.Contains($"sigil_apikey_next_rotation_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\",kind=\"apikey\",key=\"bearer\"}}", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_apikey_next_rotation_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\",kind=\"oauth2\",key=\"client-secret\"}}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_that_nothing_will_renew_has_no_renewal_time_that_would_look_overdue()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        var renewal = $"sigil_certificate_renewal_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\"}}";
        Assert.Contains(renewal, await ScrapeAsync(op), StringComparison.Ordinal);

        // A name the namespace may not claim: the certificate stays as it is and is not renewed (status shows no renewal time).
        await op.PatchAsync(ns, "payments", """{"spec":{"x509":{"dnsNames":["payments.example.com"]}}}""");
        await op.WaitForAsync(ns, "payments", Reasons.NotAllowed);

        var metrics = "";
        await Eventually.TrueAsync(async () => !(metrics = await ScrapeAsync(op)).Contains(renewal, StringComparison.Ordinal),
            because: "the renewal time of a certificate that will not be renewed is still exported");
        Assert.Contains($"sigil_certificate_expiration_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\"}}", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"payments\"}} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_and_leadership_are_series_an_alert_can_watch()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("payments", "orders"));
        await op.WaitForAsync(ns, "payments", Reasons.NotAccepted);

        string metrics = "";
        await Eventually.TrueAsync(async () => (metrics = await ScrapeAsync(op)).Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"payments\"}} 0", StringComparison.Ordinal),
            because: "a NotAccepted identity is not shown as not ready");
        Assert.Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"orders\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("\nsigil_leader 1", metrics, StringComparison.Ordinal);

        await op.PatchAsync(ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"payments"}]}}""");
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        await Eventually.TrueAsync(async () => (await ScrapeAsync(op)).Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"payments\"}} 1", StringComparison.Ordinal),
            because: "the identity became Ready but the gauge did not follow");
    }

    [Fact]
    public async Task Of_two_replicas_the_one_that_leads_says_1_and_has_the_identity_series_and_the_other_says_0()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var options = OperatorUnderTest.Replicas with { Namespace = $"sigil-{Guid.NewGuid().ToString("N")[..6]}", BundlePropagation = TimeSpan.Zero };
        await using var first = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-a" });
        await using var second = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-b" });
        await Eventually.TrueAsync(() => Task.FromResult(first.Host!.IsLeader || second.Host!.IsLeader));
        var (leader, follower) = first.Host!.IsLeader ? (first, second) : (second, first);
        var ns = await cluster.CreateNamespaceAsync();
        await leader.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await leader.WaitForAsync(ns, "payments", Reasons.Issued);

        var leaderMetrics = await ScrapeAsync(leader);
        var followerMetrics = await ScrapeAsync(follower);

        Assert.Contains("\nsigil_leader 1", leaderMetrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"payments\"}} 1", leaderMetrics, StringComparison.Ordinal);
        Assert.Contains("\nsigil_leader 0", followerMetrics, StringComparison.Ordinal);
        Assert.Empty(SeriesOf(followerMetrics, ns, "payments"));

        await leader.StopAsync();
        await Eventually.TrueAsync(async () => (await ScrapeAsync(follower)).Contains($"sigil_identity_ready{{namespace=\"{ns}\",name=\"payments\"}} 1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the new leader does not show the identity");
        Assert.Contains("\nsigil_leader 1", await ScrapeAsync(follower), StringComparison.Ordinal);
    }

    /// <summary>Two API keys of both types, a certificate, a JWT-SVID and an OAuth 2.0 client secret: every per-identity series.</summary>
    private static ServiceIdentity Everything(string name) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            X509 = new X509Spec(),
            ApiKeys =
            [
                new ApiKeySpec { Name = "bearer", Audience = "orders", Rotation = new RotationSpec { Every = "720h" } },
                new ApiKeySpec { Name = "signed", Audience = "orders", Type = "HMACSHA256", Rotation = new RotationSpec { Every = "720h" } },
            ],
            Jwt = new JwtSpec { Audiences = [new JwtAudienceSpec { Name = "vault", Audience = "https://vault.example.com" }] },
            OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h" } } },
        },
    };

    private static async Task<string> ScrapeAsync(OperatorUnderTest op)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");
    }

    /// <summary>Sample lines (not comments) whose labels name the identity.</summary>
    private static IEnumerable<string> SeriesOf(string metrics, string ns, string name) =>
        metrics.Split('\n').Where(line => !line.StartsWith('#') && line.Contains($"namespace=\"{ns}\",name=\"{name}\"", StringComparison.Ordinal));
}
