using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tables;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0]</c>, <c>.a[*].b</c> and filters
/// <c>.a[?(@.type=="Ready")].status</c>. Returns every match, in document order.
/// </summary>
internal static partial class JsonPathLite
{
    public static IReadOnlyList<JsonNode> Evaluate(JsonNode root, string path)
    {
        var trimmed = path.Trim();
        if (trimmed.StartsWith('{') && trimmed.EndsWith('}'))
        {
            trimmed = trimmed[1..^1];
        }
        if (trimmed.StartsWith('$'))
        {
            trimmed = trimmed[1..];
        }
        IEnumerable<JsonNode> current = [root];
        foreach (Match step in Step().Matches(trimmed))
        {
            current = step switch
            {
                _ when step.Groups["field"].Success => current.Select(n => (n as JsonObject)?[step.Groups["field"].Value]).OfType<JsonNode>(),
                _ when step.Groups["all"].Success => current.OfType<JsonArray>().SelectMany(a => a).OfType<JsonNode>(),
                _ when step.Groups["index"].Success => current.OfType<JsonArray>()
                    .Select(a => Index(a, int.Parse(step.Groups["index"].Value))).OfType<JsonNode>(),
                _ => current.OfType<JsonArray>().SelectMany(a => a).OfType<JsonNode>()
                    .Where(item => Json.ScalarText(Follow(item, step.Groups["fpath"].Value)) == step.Groups["fvalue"].Value),
            };
        }
        return current.ToList();
    }

    private static JsonNode? Index(JsonArray a, int i) => i < 0 ? (a.Count + i >= 0 ? a[a.Count + i] : null) : i < a.Count ? a[i] : null;

    private static JsonNode? Follow(JsonNode node, string dotted)
    {
        JsonNode? current = node;
        foreach (var part in dotted.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            current = (current as JsonObject)?[part];
        }
        return current;
    }

    [GeneratedRegex("""\.(?<field>[A-Za-z0-9_$-]+)|(?<all>\[\*\])|\[(?<index>-?\d+)\]|\[\?\(@(?<fpath>(\.[A-Za-z0-9_-]+)+)\s*==\s*["'](?<fvalue>[^"']*)["']\)\]""")]
    private static partial Regex Step();
}
