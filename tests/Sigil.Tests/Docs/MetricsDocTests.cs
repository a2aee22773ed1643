using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Tests.Charts;
using Sigil.Tests.Support;

namespace Sigil.Tests.Docs;

/// <summary>docs/metrics.md names exactly the sigil_ metrics a running operator exposes.</summary>
public sealed partial class MetricsDocTests
{
    [Fact]
    public async Task The_metrics_page_names_every_metric_the_operator_exposes_and_no_other()
    {
        var page = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "metrics.md"));
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");

        var families = metrics.Split('\n').Where(l => l.StartsWith("# TYPE sigil_", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
        var exposed = DashboardTests.Exposed(metrics);
        var named = MetricNamePattern().Matches(page).Select(m => m.Value).ToHashSet();

        Assert.True(families.Count >= 15, $"only {families.Count} sigil_ families on /metrics");
        Assert.Empty(families.Where(f => !page.Contains($"`{f}`", StringComparison.Ordinal)).Order());
        Assert.Empty(named.Except(exposed).Order());
    }

    [GeneratedRegex(@"\bsigil_[a-z0-9_]+\b")]
    private static partial Regex MetricNamePattern();
}
