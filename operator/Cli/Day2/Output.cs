using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using YamlDotNet.Serialization;

namespace Sigil.Cli.Day2;

/// <summary>-o json|yaml|table, and how each report becomes text (pure).</summary>
internal static class Output
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
    };

    public static string ToJson<T>(T report) => JsonSerializer.Serialize(report, JsonOptions) + "\n";

    /// <summary>The same document as <see cref="ToJson{T}"/>, as YAML: one model, so the two never drift apart.</summary>
    public static string ToYaml<T>(T report)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(report, JsonOptions));
        return new SerializerBuilder().WithQuotingNecessaryStrings().Build().Serialize(Plain(document.RootElement));
    }

    /// <summary>JSON or YAML for the machine formats; the table otherwise.</summary>
    public static string Render<T>(string format, T report, Func<T, string> table) => format switch
    {
        Json => ToJson(report),
        Yaml => ToYaml(report),
        _ => table(report),
    };

    private static object? Plain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

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
