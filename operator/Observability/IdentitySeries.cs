using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sigil.Observability;

/// <summary>The labels of one per-identity series: namespace and name, and for some metrics a kind and a key.</summary>
internal readonly record struct IdentityLabels(string Ns, string Name, string? Kind = null, string? Key = null);

/// <summary>
/// One per-identity metric family (a gauge or a counter labelled by namespace and name, and perhaps kind and key) kept as
/// one number per series and written out at scrape time. prometheus-net keeps a child object per series (labels, their
/// serialized bytes, a lock, exemplar state: about half a kilobyte); with 10,000 identities and four or five series each
/// that was most of what an identity cost the operator beyond its cached objects. The call sites read as prometheus-net's
/// (<c>WithLabels(ns, name).Set(v)</c>, <c>.Inc()</c>, <c>RemoveLabelled</c>); the exposition is the same text.
/// </summary>
internal sealed class IdentitySeries(string name, string help, string type, params string[] labelNames)
{
    private readonly ConcurrentDictionary<IdentityLabels, double> _values = new();

    public string Name => name;

    public Series WithLabels(params string[] labels) => new(this, Labels(labels));

    public void RemoveLabelled(params string[] labels) => _values.TryRemove(Labels(labels), out _);

    public IEnumerable<IdentityLabels> GetAllLabels() => _values.Keys;

    public void Clear() => _values.Clear();

    public int Count => _values.Count;

    /// <summary>
    /// Writes the family in Prometheus' text format (0.0.4), its header even while it has no series, in chunks: 10,000
    /// identities' series are megabytes of text, which need not be in memory at once.
    /// </summary>
    public async Task WriteAsync(Stream output, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in _values)
        {
            Append(text, labels, value);
            if (text.Length > 16_384)
            {
                await FlushAsync(text, output, ct);
            }
        }
        await FlushAsync(text, output, ct);
    }

    private static async Task FlushAsync(StringBuilder text, Stream output, CancellationToken ct)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), ct);
        text.Clear();
    }

    private void Append(StringBuilder text, IdentityLabels labels, double value)
    {
        text.Append(name).Append('{');
        Label(text, labelNames[0], labels.Ns, first: true);
        Label(text, labelNames[1], labels.Name);
        if (labelNames.Length > 2)
        {
            Label(text, labelNames[2], labels.Kind!);
        }
        if (labelNames.Length > 3)
        {
            Label(text, labelNames[3], labels.Key!);
        }
        text.Append("} ").Append(Format(value)).Append('\n');
    }

    private IdentityLabels Labels(string[] labels) => labels.Length == labelNames.Length
        ? new IdentityLabels(labels[0], labels[1], labels.Length > 2 ? labels[2] : null, labels.Length > 3 ? labels[3] : null)
        : throw new ArgumentException($"{name} has labels {string.Join(", ", labelNames)}, not {labels.Length} values", nameof(labels));

    private static void Label(StringBuilder text, string label, string value, bool first = false)
    {
        if (!first)
        {
            text.Append(',');
        }
        text.Append(label).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
        text.Append('"');
    }

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>One series, as prometheus-net's child: set, increment, read.</summary>
    internal readonly struct Series(IdentitySeries family, IdentityLabels labels)
    {
        public double Value => family._values.GetValueOrDefault(labels);

        public void Set(double value) => family._values[labels] = value;

        public void Inc(double by = 1) => family._values.AddOrUpdate(labels, by, (_, old) => old + by);
    }
}
