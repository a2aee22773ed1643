using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Semantics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>
/// Reads the body of an <c>application/apply-patch+yaml</c> request: YAML (JSON is YAML too), one object.
/// Plain scalars resolve as YAML 1.2's core schema does (null, booleans, integers, floats); quoted ones are strings.
/// </summary>
internal static partial class ApplyConfiguration
{
    public static JsonObject Parse(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            return Json.ParseObject(text);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest($"error decoding YAML: {e.Message}");
        }
        if (stream.Documents.Count != 1)
        {
            throw ApiException.BadRequest("an apply patch must be exactly one YAML document");
        }
        return ToJson(stream.Documents[0].RootNode) as JsonObject
            ?? throw ApiException.BadRequest("an apply patch must be a YAML or JSON object");
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(
            (p.Key as YamlScalarNode)?.Value ?? throw ApiException.BadRequest("an apply patch's map keys must be strings"), ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw ApiException.BadRequest("an apply patch may not use YAML aliases"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
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
