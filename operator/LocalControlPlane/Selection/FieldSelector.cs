using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Selection;

/// <summary>
/// A parsed <c>fieldSelector</c>: <c>path=value</c>, <c>path==value</c> or <c>path!=value</c>, joined by
/// commas. Any dotted path into the object is accepted (metadata.name, metadata.namespace,
/// involvedObject.uid, regarding.name, type, ...), a superset of what kube-apiserver allows per kind.
/// </summary>
internal sealed class FieldSelector
{
    private readonly List<(string Path, string Value, bool Negated)> _terms = [];

    public static readonly FieldSelector Everything = new();

    public static FieldSelector Parse(string? text)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var negated = raw.Contains("!=", StringComparison.Ordinal);
            var parts = raw.Split(negated ? "!=" : raw.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                throw ApiException.BadRequest($"invalid field selector: '{raw}'");
            }
            selector._terms.Add((parts[0].Trim(), parts[1].Trim(), negated));
        }
        return selector;
    }

    public bool Matches(JsonObject obj) => _terms.All(t => (Json.PathText(obj, t.Path) ?? "") == t.Value != t.Negated);
}
