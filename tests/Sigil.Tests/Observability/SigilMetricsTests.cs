using System.Text;
using Sigil.Observability;
using Sigil.Tests.Support;

namespace Sigil.Tests.Observability;

/// <summary>Which series SigilMetrics drops, and which it keeps, when an identity goes, a key goes or the leadership ends.</summary>
public sealed class SigilMetricsTests
{
    [Fact]
    public async Task Forgetting_an_identity_drops_every_series_of_it_and_nothing_of_its_neighbours()
    {
        var metrics = Populated();

        metrics.Forget("shop", "payments");

        var text = await ExportAsync(metrics);
        Assert.DoesNotContain("namespace=\"shop\",name=\"payments\"", text, StringComparison.Ordinal);
        // Same name in another namespace, a name that starts the same: not the deleted identity.
        Assert.Contains("sigil_identity_ready{namespace=\"web\",name=\"payments\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("sigil_rotations_total{namespace=\"shop\",name=\"payments-v2\",kind=\"x509\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("sigil_ca_expiration_timestamp_seconds{state=\"active\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_that_stops_leading_drops_every_identity_series_and_keeps_its_own()
    {
        var metrics = Populated();

        metrics.ForgetIdentities();

        var text = await ExportAsync(metrics);
        Assert.DoesNotContain("namespace=\"", text, StringComparison.Ordinal);
        Assert.Contains("sigil_ca_expiration_timestamp_seconds{state=\"active\"}", text, StringComparison.Ordinal);
        Assert.Contains("sigil_tokens_issued_total{method=\"client_secret_basic\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keeping_the_current_api_keys_drops_a_removed_key_and_a_changed_kind_but_not_the_client_secret()
    {
        var metrics = Populated();

        metrics.KeepApiKeys("shop", "payments", new HashSet<(string, string)> { ("apikey", "orders") });

        var text = await ExportAsync(metrics);
        Assert.Contains("sigil_apikey_next_rotation_timestamp_seconds{namespace=\"shop\",name=\"payments\",kind=\"apikey\",key=\"orders\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("namespace=\"shop\",name=\"payments\",kind=\"apikey\",key=\"billing\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("namespace=\"shop\",name=\"payments\",kind=\"hmac\",key=\"orders\"", text, StringComparison.Ordinal);
        Assert.Contains("namespace=\"web\",name=\"payments\",kind=\"apikey\",key=\"billing\"", text, StringComparison.Ordinal);
        Assert.Contains("sigil_apikey_next_rotation_timestamp_seconds{namespace=\"shop\",name=\"payments\",kind=\"oauth2\",key=\"client-secret\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_process_that_never_led_says_so_from_its_first_scrape()
    {
        Assert.Contains("\nsigil_leader 0", await ExportAsync(new SigilMetrics()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_exposition_is_valid_for_Prometheus_own_checker_even_with_label_values_that_need_escaping()
    {
        var metrics = Populated();
        // Kubernetes names cannot hold these, but a key name comes from a user's spec: the escaping must hold anyway.
        metrics.SetNextKeyRotation("shop", "payments", "apikey", "a\\b\"c\nd", DateTimeOffset.UnixEpoch);

        // promtool reads the exposition from stdin: a consumer we did not write, not our own parser.
        var check = await ProcessRunner.RunAsync(Promtool.Require(), ["check", "metrics"], stdin: await ExportAsync(metrics));

        // Naming advice is exit 3 on some versions; a parse error is exit 1 and says "error".
        Assert.True(check.ExitCode is 0 or 3, check.Output);
        Assert.DoesNotContain("error", check.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static SigilMetrics Populated()
    {
        var metrics = new SigilMetrics();
        foreach (var (ns, name) in new[] { ("shop", "payments"), ("web", "payments"), ("shop", "payments-v2") })
        {
            metrics.CertificateExpiration.WithLabels(ns, name).Set(1);
            metrics.CertificateRenewal.WithLabels(ns, name).Set(1);
            metrics.JwtRenewal.WithLabels(ns, name).Set(1);
            metrics.CountRotation(ns, name, "x509");
            metrics.CountRotation(ns, name, "apikey");
            metrics.IssuanceErrors.WithLabels(ns, name).Inc();
            metrics.IdentityReady.WithLabels(ns, name).Set(1);
            metrics.SetNextKeyRotation(ns, name, "apikey", "orders", DateTimeOffset.UnixEpoch);
            metrics.SetNextKeyRotation(ns, name, "hmac", "orders", DateTimeOffset.UnixEpoch);
            metrics.SetNextKeyRotation(ns, name, "apikey", "billing", DateTimeOffset.UnixEpoch);
            metrics.SetNextKeyRotation(ns, name, "oauth2", "client-secret", DateTimeOffset.UnixEpoch);
        }
        metrics.CaExpiration.WithLabels("active").Set(1);
        metrics.TokensIssued.WithLabels("client_secret_basic").Inc();
        return metrics;
    }

    private static async Task<string> ExportAsync(SigilMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.ExportAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
