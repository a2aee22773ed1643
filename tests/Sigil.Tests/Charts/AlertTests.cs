using System.Text.Json;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;
using YamlDotNet.Serialization;

namespace Sigil.Tests.Charts;

/// <summary>
/// The chart's PrometheusRule (metrics.prometheusRule.enabled): rendered with real helm whatever APIs the cluster serves,
/// one alert per failure a platform team must hear of, each with a runbook section in docs/runbooks.md, accepted by
/// promtool and unit-tested by it (tests/Sigil.Tests/Charts/alerts.promtool.yaml fires each alert and keeps it quiet).
/// </summary>
public sealed class AlertTests
{
    /// <summary>The alerts issue #12 asks for, by what they watch.</summary>
    public static TheoryData<string, string> Alerts => new()
    {
        { "SigilIdentityNotReady", "an identity not Ready for 15 minutes" },
        { "SigilCertificateRenewalOverdue", "a certificate past its renewal time and not renewed" },
        { "SigilAPIKeyRotationOverdue", "an API key or client secret past its rotation time and not rotated" },
        { "SigilJWTRenewalOverdue", "JWT-SVIDs past their renewal time and not renewed" },
        { "SigilCAExpiringWithoutSuccessor", "a CA expiring without a successor" },
        { "SigilIssuanceErrors", "issuance or rotation of an identity failing again and again" },
        { "SigilCALifecycleErrors", "CA and JWT key rotation steps failing again and again" },
        { "SigilNoLeader", "no replica leading" },
        { "SigilTokenEndpointUnavailable", "the token endpoint answering 503" },
        { "SigilTokenEndpointErrors", "the token endpoint refusing most requests" },
    };

    private static string TestFile => Path.Combine(Repository.Root, "tests", "Sigil.Tests", "Charts", "alerts.promtool.yaml");

    [Fact]
    public async Task Alerts_and_the_dashboard_are_off_by_default()
    {
        var documents = await ChartRendering.RenderAsync();

        Assert.DoesNotContain(documents, d => (string?)d["kind"] == "PrometheusRule");
        Assert.DoesNotContain(documents, d => d["metadata"]!["labels"]?["grafana_dashboard"] is not null);
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public async Task Enabled_the_rule_holds_an_alert_with_a_summary_a_description_and_a_runbook_section(string alert, string watches)
    {
        // helm template with no --api-versions: a chart that checked .Capabilities for monitoring.coreos.com/v1 would render nothing.
        var rule = Rule(await ChartRendering.RenderAsync("platform", "metrics.prometheusRule.enabled=true", "metrics.prometheusRule.labels.release=kube-prometheus-stack"));
        var runbooks = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "runbooks.md"));

        Assert.Equal("platform", (string?)rule["metadata"]!["namespace"]);
        Assert.Equal("kube-prometheus-stack", (string?)rule["metadata"]!["labels"]!["release"]);
        var entry = Rules(rule).SingleOrDefault(r => (string?)r["alert"] == alert);
        Assert.True(entry is not null, $"no alert {alert} for {watches}");
        Assert.False(string.IsNullOrWhiteSpace((string?)entry["annotations"]!["summary"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)entry["annotations"]!["description"]));
        Assert.True((string?)entry["labels"]!["severity"] is "warning" or "critical", $"{alert} has no severity label of warning or critical");
        var runbook = (string)entry["annotations"]!["runbook_url"]!;
        Assert.Equal($"https://github.com/sigil-dev/sigil/blob/main/docs/runbooks.md#{alert.ToLowerInvariant()}", runbook);
        Assert.Contains(alert.ToLowerInvariant(), Markdown.Anchors(runbooks));
    }

    [Fact]
    public async Task Every_alert_in_the_rule_is_one_the_tests_know_and_the_runbook_base_can_be_moved()
    {
        var rule = Rule(await ChartRendering.RenderAsync("sigil-system", "metrics.prometheusRule.enabled=true",
            "metrics.prometheusRule.runbookBaseURL=https://git.example.com/platform/sigil/docs/runbooks.md"));

        Assert.Equal(Alerts.Select(a => (string)a.Data.Item1).Order(), Rules(rule).Select(r => (string)r["alert"]!).Order());
        Assert.All(Rules(rule), r => Assert.StartsWith("https://git.example.com/platform/sigil/docs/runbooks.md#", (string?)r["annotations"]!["runbook_url"]));
    }

    [Theory]
    [InlineData("10m", 1200)]
    [InlineData("1h30m", 6000)]
    [InlineData("45s", 645)]
    [InlineData("0s", 600)]
    public async Task A_key_rotation_is_overdue_ten_minutes_after_it_should_have_completed(string bundlePropagation, int seconds)
    {
        var rule = Rule(await ChartRendering.RenderAsync("sigil-system", "metrics.prometheusRule.enabled=true", $"bundlePropagation={bundlePropagation}"));

        var expr = (string)Rules(rule).Single(r => (string?)r["alert"] == "SigilAPIKeyRotationOverdue")["expr"]!;
        Assert.EndsWith($"> {seconds}", expr.Trim());
    }

    [Fact]
    public async Task Promtool_accepts_the_rendered_rules()
    {
        var dir = await WriteRulesAsync(Rule(await ChartRendering.RenderAsync("sigil-system", "metrics.prometheusRule.enabled=true")));

        var check = await Promtool.RunAsync(dir, "check", "rules", "rules.json");

        Directory.Delete(dir, recursive: true);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains($"SUCCESS: {Alerts.Count} rules found", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_unit_tests_fire_each_alert_from_synthetic_series_and_keep_it_quiet_when_healthy()
    {
        var rule = Rule(await ChartRendering.RenderAsync("sigil-system", "metrics.prometheusRule.enabled=true"));
        var dir = await WriteRulesAsync(rule);
        File.Copy(TestFile, Path.Combine(dir, "alerts.promtool.yaml"));

        var run = await Promtool.RunAsync(dir, "test", "rules", "alerts.promtool.yaml");
        Directory.Delete(dir, recursive: true);

        Assert.True(run.ExitCode == 0, run.Output);
        // A test file that never fired an alert, or never showed it quiet, would pass just the same: check it does both.
        var tests = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(await File.ReadAllTextAsync(TestFile));
        var cases = ((List<object>)tests["tests"]).Cast<Dictionary<object, object>>()
            .SelectMany(t => ((List<object>)t["alert_rule_test"]).Cast<Dictionary<object, object>>())
            .Select(c => ((string)c["alertname"], Fires: c.TryGetValue("exp_alerts", out var exp) && exp is List<object> { Count: > 0 }))
            .ToList();
        foreach (var alert in Rules(rule).Select(r => (string)r["alert"]!))
        {
            Assert.True(cases.Contains((alert, true)), $"no promtool test fires {alert}");
            Assert.True(cases.Contains((alert, false)), $"no promtool test shows {alert} quiet");
        }
    }

    internal static JsonObject Rule(List<JsonObject> documents) => documents.Single("PrometheusRule");

    internal static IEnumerable<JsonObject> Rules(JsonObject rule) =>
        rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Cast<JsonObject>();

    /// <summary>The rule's spec.groups as a Prometheus rules file (JSON is YAML), in a folder of its own.</summary>
    internal static async Task<string> WriteRulesAsync(JsonObject rule)
    {
        var dir = Directory.CreateTempSubdirectory("sigil-rules-").FullName;
        var file = new JsonObject { ["groups"] = rule["spec"]!["groups"]!.DeepClone() };
        await File.WriteAllTextAsync(Path.Combine(dir, "rules.json"), file.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }
}
