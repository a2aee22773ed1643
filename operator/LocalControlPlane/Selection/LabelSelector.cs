using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Selection;

/// <summary>
/// A parsed <c>labelSelector</c> query: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>,
/// <c>a notin (x)</c>, <c>a</c> (exists) and <c>!a</c> (does not exist), joined by commas.
/// </summary>
internal sealed partial class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static readonly LabelSelector Everything = new();

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }
        foreach (var term in SplitTerms(text))
        {
            selector._requirements.Add(ParseTerm(term.Trim()));
        }
        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        var labels = (obj.Metadata()["labels"] as JsonObject)?
            .Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => Json.ScalarText(p.Value) ?? "") ?? [];
        return _requirements.All(r => r(labels));
    }

    // Commas separate terms except inside the parentheses of an in/notin set.
    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseTerm(string term)
    {
        var set = SetTerm().Match(term);
        if (set.Success)
        {
            var key = set.Groups["key"].Value;
            var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            return set.Groups["op"].Value == "in"
                ? labels => labels.TryGetValue(key, out var v) && values.Contains(v)
                : labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }
        var equality = EqualityTerm().Match(term);
        if (equality.Success)
        {
            var key = equality.Groups["key"].Value;
            var value = equality.Groups["value"].Value;
            return equality.Groups["op"].Value == "!="
                ? labels => !labels.TryGetValue(key, out var v) || v != value
                : labels => labels.TryGetValue(key, out var v) && v == value;
        }
        var exists = ExistsTerm().Match(term);
        if (exists.Success)
        {
            var key = exists.Groups["key"].Value;
            return exists.Groups["not"].Success ? labels => !labels.ContainsKey(key) : labels => labels.ContainsKey(key);
        }
        throw ApiException.BadRequest($"unable to parse requirement: invalid label selector term \"{term}\"");
    }

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9._/-]+)\s+(?<op>in|notin)\s*\((?<values>[^)]*)\)$")]
    private static partial Regex SetTerm();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9._/-]+)\s*(?<op>==|=|!=)\s*(?<value>[A-Za-z0-9._-]*)$")]
    private static partial Regex EqualityTerm();

    [GeneratedRegex(@"^(?<not>!)?\s*(?<key>[A-Za-z0-9._/-]+)$")]
    private static partial Regex ExistsTerm();
}
