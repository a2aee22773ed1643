using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Tests.Support;

namespace Sigil.Tests.Charts;

/// <summary>
/// README's "What the operator may do, and why" table is what a platform team reads before granting the chart; it must
/// be the rendered rules exactly (a row per rule, the same verbs), with and without <c>caSecret</c>.
/// </summary>
public sealed partial class RbacTableTests
{
    private sealed record TableRow(string Scope, HashSet<string> Resources, HashSet<string> Names, HashSet<string> Verbs, string Text);

    private sealed record RenderedRule(string Scope, HashSet<string> Resources, HashSet<string> Names, HashSet<string> Verbs)
    {
        public override string ToString() =>
            $"{Scope}: {string.Join(", ", Resources)}{(Names.Count > 0 ? " named " + string.Join(", ", Names) : "")} [{string.Join(", ", Verbs)}]";
    }

    [Fact]
    public async Task Every_rendered_rule_has_its_row_in_the_README_and_every_row_is_a_rendered_rule()
    {
        // The table names the provided CA's Secret by its value, `caSecret`.
        var withCaSecret = Rules(await ChartRendering.RenderAsync(set: "caSecret=platform-ca"))
            .Select(r => r with { Names = r.Names.Select(n => n == "platform-ca" ? "caSecret" : n).ToHashSet() });
        var rules = Rules(await ChartRendering.RenderAsync()).Concat(withCaSecret).Distinct(RuleComparer).ToList();
        var rows = Table(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md")));

        var missing = rules.Where(rule => !rows.Any(row => Matches(row, rule))).Select(r => r.ToString()).ToList();
        var stale = rows.Where(row => !rules.Any(rule => Matches(row, rule))).Select(r => r.Text).ToList();

        Assert.True(missing.Count == 0, "rules the README's RBAC table does not show (or shows with other verbs): " + string.Join("; ", missing));
        Assert.True(stale.Count == 0, "README RBAC rows the chart does not render: " + string.Join("; ", stale));
    }

    private static bool Matches(TableRow row, RenderedRule rule) =>
        row.Scope == rule.Scope && row.Resources.SetEquals(rule.Resources) && row.Names.SetEquals(rule.Names) && row.Verbs.SetEquals(rule.Verbs);

    private static List<RenderedRule> Rules(List<JsonObject> documents) =>
        [.. from role in documents.Where(d => (string?)d["kind"] is "ClusterRole" or "Role")
            from rule in role["rules"]!.AsArray()
            let groups = rule!["apiGroups"]!.AsArray().Select(g => (string)g!)
            select new RenderedRule(
                (string?)role["kind"] == "ClusterRole" ? "cluster" : "release namespace",
                groups.SelectMany(g => rule["resources"]!.AsArray().Select(r => g.Length == 0 ? (string)r! : $"{g}/{(string)r!}")).ToHashSet(),
                (rule["resourceNames"]?.AsArray().Select(n => (string)n!) ?? []).ToHashSet(),
                rule["verbs"]!.AsArray().Select(v => (string)v!).ToHashSet())];

    private static List<TableRow> Table(string readme)
    {
        var section = readme[readme.IndexOf("### What the operator may do, and why", StringComparison.Ordinal)..];
        var rows = new List<TableRow>();
        foreach (var line in section.Split('\n').SkipWhile(l => !l.StartsWith("| scope", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            var (scope, resources, verbs) = (cells[1], cells[2], cells[3]);
            var named = resources.IndexOf(" named ", StringComparison.Ordinal);
            rows.Add(new TableRow(
                scope,
                Backticked(named < 0 ? resources : resources[..named]),
                named < 0 ? [] : Backticked(resources[named..]),
                verbs.Split(',', StringSplitOptions.TrimEntries).ToHashSet(),
                line));
        }
        Assert.NotEmpty(rows);
        return rows;
    }

    private static HashSet<string> Backticked(string cell) => BacktickedPattern().Matches(cell).Select(m => m.Groups[1].Value).ToHashSet();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BacktickedPattern();

    private static readonly IEqualityComparer<RenderedRule> RuleComparer = EqualityComparer<RenderedRule>.Create(
        (a, b) => a!.ToString() == b!.ToString(), r => r.ToString().GetHashCode(StringComparison.Ordinal));
}
