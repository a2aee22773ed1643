using System.Globalization;

namespace Sigil.Api;

/// <summary>
/// Kubernetes keeps times to the second (RFC 3339, UTC), and X.509 validity is encoded to the second. Sigil rounds
/// what it computes the same way, so a time it decides equals the time it reads back, and "due" never flaps.
/// </summary>
public static class Timestamps
{
    public static DateTimeOffset ToSecond(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    /// <summary>As the API writes it: <c>2026-11-27T19:25:22Z</c>.</summary>
    public static string Format(DateTimeOffset t) => ToSecond(t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
