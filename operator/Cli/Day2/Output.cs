using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Sigil.Runtime;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Sigil.Cli.Day2;

/// <summary>The reports the day-2 commands print as JSON or YAML (source-generated, so the NativeAOT build prints them too).</summary>
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(SecretReport))]
[JsonSerializable(typeof(AuthorityReport))]
[JsonSerializable(typeof(CaRotationReport))]
[JsonSerializable(typeof(RotationReport))]
[JsonSerializable(typeof(CaEntry))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>-o json|yaml|table, and how each report becomes text (pure).</summary>
internal static partial class Output
{
    public const string Table = "table";
    public const string Json = "json";
    public const string Yaml = "yaml";

    public static Option<string> Option()
    {
        var option = new Option<string>("--output", "-o") { Description = "Output format: table (default), json or yaml.", DefaultValueFactory = _ => Table };
        option.AcceptOnlyFromAmong(Table, Json, Yaml);
        return option;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        // Field names are fixed by JsonPropertyName on each report; nulls stay, so every field is always there.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcSecondsConverter() },
        TypeInfoResolver = ReportJsonContext.Default,
    };

    public static string ToJson<T>(T report) => JsonSerializer.Serialize(report, JsonOptions.Info<T>()) + "\n";

    /// <summary>
    /// The same document as <see cref="ToJson{T}"/>, as YAML: one model, so the two never drift apart. Written event by event
    /// with YamlDotNet's emitter (its object serializer needs reflection); a string a YAML 1.1 or 1.2 reader would take for
    /// another type (<c>"01"</c>, <c>"yes"</c>, <c>"null"</c>, <c>""</c>) is quoted, and the emitter quotes any string it cannot write plain.
    /// </summary>
    public static string ToYaml<T>(T report)
    {
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(report, JsonOptions.Info<T>()));
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, document.RootElement);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>JSON or YAML for the machine formats; the table otherwise.</summary>
    public static string Render<T>(string format, T report, Func<T, string> table) => format switch
    {
        Json => ToJson(report),
        Yaml => ToYaml(report),
        _ => table(report),
    };

    private static void Emit(IEmitter emitter, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Block));
                foreach (var property in e.EnumerateObject())
                {
                    emitter.Emit(Text(property.Name));
                    Emit(emitter, property.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonValueKind.Array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, SequenceStyle.Block));
                foreach (var item in e.EnumerateArray())
                {
                    Emit(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValueKind.String:
                emitter.Emit(Text(e.GetString()!));
                break;
            case JsonValueKind.Null:
                emitter.Emit(Plain("null"));
                break;
            default:
                // Numbers, true and false: JSON's own text is a YAML plain scalar of the same type.
                emitter.Emit(Plain(e.GetRawText()));
                break;
        }
    }

    private static Scalar Plain(string value) => new(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false);

    // Multi-line strings are double-quoted too: YamlDotNet's folded style loses the CR of a CRLF.
    private static Scalar Text(string value) =>
        new(AnchorName.Empty, TagName.Empty, value, ReadsAsAnotherType().IsMatch(value) || value.AsSpan().ContainsAny('\r', '\n') ? ScalarStyle.DoubleQuoted : ScalarStyle.Any,
            isPlainImplicit: true, isQuotedImplicit: true);

    /// <summary>Plain scalars that YAML 1.2's core schema or YAML 1.1 reads as null, a boolean, a number, a timestamp (every
    /// time in the reports: quoted, as kubectl quotes creationTimestamp) or a value or merge key.</summary>
    [GeneratedRegex(@"^(|~|null|Null|NULL|[yY]|yes|Yes|YES|[nN]|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|=|<<|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO]?[0-7_]+|[-+]?0[bB][01_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?)$")]
    private static partial Regex ReadsAsAnotherType();

    /// <summary>ISO 8601 in UTC to the second, as the API writes times: <c>2026-11-27T19:25:22Z</c>.</summary>
    public static string Iso(DateTimeOffset? t) => t is { } v ? Api.Timestamps.Format(v) : "-";

    /// <summary>A time relative to now, kubectl-style: <c>in 5h</c>, <c>3d ago</c>.</summary>
    public static string Relative(DateTimeOffset? t, DateTimeOffset now)
    {
        if (t is not { } v)
        {
            return "-";
        }
        var d = v - now;
        var text = Span(d.Duration());
        return d >= TimeSpan.Zero ? $"in {text}" : $"{text} ago";
    }

    /// <summary>Both, for detail views: <c>2026-11-27T19:25:22Z (in 5h)</c>.</summary>
    public static string Both(DateTimeOffset? t, DateTimeOffset now) => t is null ? "-" : $"{Iso(t)} ({Relative(t, now)})";

    public static string Span(TimeSpan d) => d switch
    {
        _ when d < TimeSpan.FromMinutes(2) => $"{(long)d.TotalSeconds}s",
        _ when d < TimeSpan.FromHours(2) => $"{(long)d.TotalMinutes}m",
        _ when d < TimeSpan.FromHours(48) => $"{(long)d.TotalHours}h",
        _ when d < TimeSpan.FromDays(730) => $"{(long)d.TotalDays}d",
        _ => $"{(long)(d.TotalDays / 365)}y",
    };

    private sealed class UtcSecondsConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(Iso(value));
    }
}

/// <summary>A kubectl-style table: upper-case headers, columns padded to the widest cell, three spaces apart.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(r => (i < r.Count ? r[i] : "").Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < headers.Count; i++)
            {
                var cell = i < row.Count ? row[i] : "";
                line.Append(i == headers.Count - 1 ? cell : cell.PadRight(widths[i] + 3));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        return text.ToString();
    }
}
