using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Semantics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>
/// Reads the body of an <c>application/apply-patch+yaml</c> request: YAML (JSON is YAML too), one object.
/// Plain scalars resolve as YAML 1.2's core schema does (null, booleans, integers, floats); quoted ones are strings.
/// </summary>
/// <remarks>
/// The YAML is read from the parser's event stream with an explicit stack, never through YamlStream: YamlStream
/// resolves aliases into shared nodes (so <c>x: &amp;a [*a]</c> becomes a cycle and a recursive walk never ends),
/// builds its tree recursively (300,000 nested brackets overflow the stack and kill the process), and expands
/// "billion laughs" documents. Aliases are refused outright (go-yaml caps their expansion since CVE-2019-11253;
/// Kubernetes manifests have no use for them) and nesting stops at <see cref="Json.MaxInputDepth"/>, the limit
/// every request body has.
/// </remarks>
internal static partial class ApplyConfiguration
{
    public const string AliasesRefused = "the sigil local control plane does not accept YAML aliases in apply bodies";

    public static JsonObject Parse(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            return Json.ParseObject(text);
        }
        JsonNode? root;
        try
        {
            root = ReadSingleDocument(new Parser(new StringReader(text)));
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest($"error decoding YAML: {e.Message}");
        }
        return root as JsonObject ?? throw ApiException.BadRequest("an apply patch must be a YAML or JSON object");
    }

    private static JsonNode? ReadSingleDocument(IParser parser)
    {
        parser.Consume<StreamStart>();
        if (!parser.TryConsume<DocumentStart>(out _))
        {
            throw ApiException.BadRequest("an apply patch must be exactly one YAML document");
        }
        var root = ReadNode(parser);
        parser.Consume<DocumentEnd>();
        if (!parser.Accept<StreamEnd>(out _))
        {
            throw ApiException.BadRequest("an apply patch must be exactly one YAML document");
        }
        return root;
    }

    /// <summary>One open collection: the node being filled and, in a map, the key waiting for its value.</summary>
    private sealed class Open(JsonNode node)
    {
        public JsonNode Node { get; } = node;

        public string? PendingKey { get; set; }
    }

    private static JsonNode? ReadNode(IParser parser)
    {
        var open = new Stack<Open>();
        while (true)
        {
            var e = parser.Consume<ParsingEvent>();
            JsonNode? value;
            switch (e)
            {
                case AnchorAlias:
                    throw ApiException.BadRequest(AliasesRefused);
                case Scalar scalar when open.TryPeek(out var map) && map.Node is JsonObject && map.PendingKey is null:
                    map.PendingKey = scalar.Value;
                    continue;
                case Scalar scalar:
                    value = Typed(scalar);
                    break;
                case MappingStart or SequenceStart when open.TryPeek(out var map) && map.Node is JsonObject && map.PendingKey is null:
                    throw ApiException.BadRequest("an apply patch's map keys must be strings");
                case MappingStart or SequenceStart:
                    if (open.Count >= Json.MaxInputDepth)
                    {
                        throw ApiException.BadRequest(Json.TooDeep);
                    }
                    open.Push(new Open(e is MappingStart ? new JsonObject() : new JsonArray()));
                    continue;
                case MappingEnd or SequenceEnd:
                    value = open.Pop().Node;
                    break;
                default:
                    throw ApiException.BadRequest($"error decoding YAML: unexpected {e.GetType().Name} at {e.Start}");
            }
            if (!open.TryPeek(out var parent))
            {
                return value;
            }
            if (parent.Node is JsonArray list)
            {
                list.Add(value);
            }
            else
            {
                var map = (JsonObject)parent.Node;
                if (!map.TryAdd(parent.PendingKey!, value))
                {
                    throw ApiException.BadRequest($"error decoding YAML: duplicate key \"{parent.PendingKey}\" at {e.Start}");
                }
                parent.PendingKey = null;
            }
        }
    }

    private static JsonValue? Typed(Scalar scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }
        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            _ when Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
