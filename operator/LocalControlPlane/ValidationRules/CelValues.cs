using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// A JSON value as a rule sees it, typed by its schema as kube-apiserver types it: integer is int, number is double,
/// string is string except format duration (a duration), date and date-time (timestamps) and byte (bytes);
/// x-kubernetes-int-or-string is whichever it holds. Objects expose only their declared properties (plus apiVersion,
/// kind and metadata.name/generateName at a resource root), maps all their entries.
/// </summary>
internal static partial class CelValues
{
    public static object? From(JsonNode? node, JsonObject schema, bool isResourceRoot)
    {
        if (node is null)
        {
            return null;
        }
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValueKind() == JsonValueKind.True;
        return node switch
        {
            JsonObject obj => FromObject(obj, schema, isResourceRoot),
            JsonArray array => array.Select(item => schema["items"] is JsonObject items
                    ? From(item, items, items["x-kubernetes-embedded-resource"]?.GetValueKind() == JsonValueKind.True)
                    : Untyped(item)).ToArray(),
            JsonValue value => value.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when schema.Str("type") == "number" => Json.Number(value),
                JsonValueKind.Number => long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : (object)Json.Number(value),
                JsonValueKind.String when intOrString => value.GetValue<string>(),
                JsonValueKind.String => FromString(value.GetValue<string>(), schema.Str("format")),
                _ => null,
            },
            _ => null,
        };
    }

    private static Dictionary<string, object?> FromObject(JsonObject obj, JsonObject schema, bool isResourceRoot)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (schema["additionalProperties"] is JsonObject additional)
        {
            foreach (var (key, value) in obj)
            {
                result[key] = From(value, additional, additional["x-kubernetes-embedded-resource"]?.GetValueKind() == JsonValueKind.True);
            }
            return result;
        }
        var properties = schema["properties"] as JsonObject;
        foreach (var (key, value) in obj)
        {
            if (isResourceRoot && key is "apiVersion" or "kind")
            {
                result[key] = Json.ScalarText(value);
            }
            else if (isResourceRoot && key == "metadata" && value is JsonObject metadata)
            {
                var visible = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var name in new[] { "name", "generateName" })
                {
                    if (metadata[name] is { } v)
                    {
                        visible[name] = Json.ScalarText(v);
                    }
                }
                result[key] = visible;
            }
            else if (properties?[key] is JsonObject propertySchema && Escape(key) is { } escaped)
            {
                result[escaped] = From(value, propertySchema, propertySchema["x-kubernetes-embedded-resource"]?.GetValueKind() == JsonValueKind.True);
            }
        }
        return result;
    }

    private static readonly HashSet<string> ReservedWords =
    [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ];

    /// <summary>
    /// kube-apiserver's property-name escaping: a property named <c>namespace</c> is <c>self.__namespace__</c>,
    /// <c>x-y</c> is <c>self.x__dash__y</c>; a name that cannot be escaped (a leading digit, other symbols) is not visible.
    /// </summary>
    internal static string? Escape(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return null;
        }
        if (ReservedWords.Contains(name))
        {
            return $"__{name}__";
        }
        var escapable = true;
        var escaped = Escapable().Replace(name, m =>
        {
            switch (m.Value)
            {
                case "__": return "__underscores__";
                case ".": return "__dot__";
                case "-": return "__dash__";
                case "/": return "__slash__";
                default:
                    escapable = false;
                    return "";
            }
        });
        return escapable ? escaped : null;
    }

    [GeneratedRegex("(__|[^a-zA-Z0-9_])")]
    private static partial Regex Escapable();

    private static object? Untyped(JsonNode? node) => node switch
    {
        JsonObject obj => obj.ToDictionary(p => p.Key, p => Untyped(p.Value)),
        JsonArray array => array.Select(Untyped).ToArray(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number =>
            long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : (object)Json.Number(v),
        JsonValue v => v.GetValueKind() == JsonValueKind.True,
        _ => null,
    };

    private static object FromString(string text, string? format) => format switch
    {
        // A value the schema's format check refused never gets here; should one, it stays a string rather than fail the write.
        "duration" when TryParseGoDuration(text, out var duration) => Duration.FromTimeSpan(duration),
        "date-time" or "date" when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) => time,
        "byte" when TryBase64(text) is { } bytes => bytes,
        _ => text,
    };

    private static ByteString? TryBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? ByteString.CopyFrom(buffer, 0, written) : null;
    }

    internal static bool TryParseGoDuration(string text, out TimeSpan duration)
    {
        try
        {
            duration = ParseGoDuration(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            duration = default;
            return false;
        }
    }

    /// <summary>Go's time.ParseDuration, which is what a format: duration string means to kube-apiserver.</summary>
    internal static TimeSpan ParseGoDuration(string text)
    {
        var match = GoDuration().Match(text);
        if (!match.Success || text is "" or "+" or "-")
        {
            throw new FormatException($"invalid duration \"{text}\"");
        }
        if (text.TrimStart('+', '-') == "0")
        {
            return TimeSpan.Zero;
        }
        var ticks = 0m;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unitMatch = GoDurationPart().Match(part.Value);
            var amount = decimal.Parse(unitMatch.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += amount * unitMatch.Groups[2].Value switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }
        return TimeSpan.FromTicks((long)(text.StartsWith('-') ? -ticks : ticks));
    }

    [GeneratedRegex(@"^[-+]?(?:0|(?<part>(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^((?:\d+\.?\d*|\.\d+))(ns|us|µs|μs|ms|s|m|h)$")]
    private static partial Regex GoDurationPart();
}
