using System.Net;
using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Observability;

/// <summary>What a platform team scrapes and probes: the metric names PRODUCT.md promises, /healthz and /readyz.</summary>
public sealed class MonitoringTests
{
    [Fact]
    public async Task Metrics_carry_the_promised_names_and_labels_and_health_endpoints_answer()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        var payments = OperatorUnderTest.Caller("payments", "orders");
        payments.Spec.X509 = new X509Spec();
        await op.CreateAsync(ns, payments);
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 } && i.Status.X509 is not null);
        using var http = new HttpClient();

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");
        var healthz = await http.GetAsync($"http://127.0.0.1:{op.Host.HealthPort}/healthz");
        var readyz = await http.GetAsync($"http://127.0.0.1:{op.Host.HealthPort}/readyz");

        Assert.Contains($"sigil_certificate_expiration_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\"}}", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_certificate_renewal_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\"}}", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_apikey_next_rotation_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\",kind=\"apikey\",key=\"k\"}}", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_rotations_total{{namespace=\"{ns}\",name=\"payments\",kind=\"x509\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"sigil_rotations_total{{namespace=\"{ns}\",name=\"payments\",kind=\"apikey\"}} 1", metrics, StringComparison.Ordinal);
        Assert.True(Sample(metrics, "sigil_reconcile_duration_seconds_count") > 0, "no reconcile pass was timed");
        Assert.Contains("sigil_reconcile_queue_depth", metrics, StringComparison.Ordinal);
        // No pass failed here, so the counter has no sample yet; the name is still promised.
        Assert.Contains("# TYPE sigil_issuance_errors_total counter", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
    }

    private static double Sample(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Single();
}
