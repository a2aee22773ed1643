using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Charts;

/// <summary>
/// The chart's Grafana dashboard (metrics.dashboard.enabled) and what it and the alerts query: every query parses, and every
/// metric they name is one a running operator exposes on /metrics (a renamed metric would leave a panel or an alert empty).
/// </summary>
public sealed partial class DashboardTests
{
    private static string DashboardFile => Path.Combine(ChartRendering.ChartPath, "dashboards", "sigil.json");

    [Fact]
    public async Task Enabled_the_dashboard_is_a_ConfigMap_that_Grafanas_sidecar_loads()
    {
        var documents = await ChartRendering.RenderAsync("platform", "metrics.dashboard.enabled=true", "metrics.dashboard.annotations.grafana_folder=Platform");
        var configMap = documents.Single(d => (string?)d["kind"] == "ConfigMap" && d["metadata"]!["labels"]?["grafana_dashboard"] is not null);

        Assert.Equal("1", (string?)configMap["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal("platform", (string?)configMap["metadata"]!["namespace"]);
        Assert.Equal("Platform", (string?)configMap["metadata"]!["annotations"]!["grafana_folder"]);
        var dashboard = JsonNode.Parse((string)configMap["data"]!["sigil.json"]!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(DashboardFile)), dashboard));
        Assert.Equal("sigil-overview", (string?)dashboard["uid"]);
        Assert.Contains(dashboard["templating"]!["list"]!.AsArray(), v => (string?)v!["name"] == "datasource" && (string?)v["query"] == "prometheus");
        var panels = dashboard["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row").ToList();
        Assert.True(panels.Count >= 10, $"only {panels.Count} panels");
        Assert.All(panels, p =>
        {
            Assert.Equal("${datasource}", (string?)p!["datasource"]!["uid"]);
            Assert.NotEmpty(p["targets"]!.AsArray());
        });
    }

    [Fact]
    public async Task Promtool_parses_every_query_of_the_dashboard()
    {
        var queries = DashboardQueries().ToList();
        // Each query as a recording rule: promtool check rules parses it as Prometheus would (the $namespace variable as Grafana fills it).
        var groups = new JsonArray(new JsonObject
        {
            ["name"] = "dashboard",
            ["rules"] = new JsonArray([.. queries.Select((q, i) => (JsonNode)new JsonObject
            {
                ["record"] = $"dashboard:query_{i}",
                ["expr"] = q.Replace("$namespace", ".*", StringComparison.Ordinal),
            })]),
        });
        var dir = await AlertTests.WriteRulesAsync(new JsonObject { ["spec"] = new JsonObject { ["groups"] = groups } });

        var check = await Promtool.RunAsync(dir, "check", "rules", "rules.json");

        Directory.Delete(dir, recursive: true);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains($"SUCCESS: {queries.Count} rules found", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alerts_query_is_one_the_operator_exposes()
    {
        var rule = AlertTests.Rule(await ChartRendering.RenderAsync("sigil-system", "metrics.prometheusRule.enabled=true"));
        var used = DashboardQueries()
            .Concat(AlertTests.Rules(rule).SelectMany(r => new[] { (string)r["expr"]!, (string)r["annotations"]!["description"]! }))
            .SelectMany(q => MetricNamePattern().Matches(q).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        using var http = new HttpClient();

        var exposed = Exposed(await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics"));

        Assert.True(used.Count(n => n.StartsWith("sigil_", StringComparison.Ordinal)) >= 14, $"the queries name only {string.Join(", ", used)}");
        Assert.Empty(used.Except(exposed).Order());
    }

    /// <summary>Every expr of every panel target, and the template variables' queries.</summary>
    internal static IEnumerable<string> DashboardQueries()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(DashboardFile))!;
        return dashboard["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => (string)t!["expr"]!);
    }

    /// <summary>Metric names on /metrics: sample names, and each family's name with a histogram's _bucket, _sum and _count.</summary>
    internal static HashSet<string> Exposed(string metrics)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                names.Add(parts[2]);
                if (parts[3] == "histogram")
                {
                    names.UnionWith([parts[2] + "_bucket", parts[2] + "_sum", parts[2] + "_count"]);
                }
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                names.Add(line.Split('{', ' ')[0]);
            }
        }
        return names;
    }

    [GeneratedRegex(@"\b(sigil|process|dotnet)_[a-z0-9_]+\b")]
    private static partial Regex MetricNamePattern();
}
