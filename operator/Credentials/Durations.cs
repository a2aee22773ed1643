using System.Text.RegularExpressions;

namespace Sigil.Credentials;

/// <summary>Go-style durations as the CRD accepts them: one or more of N h, N m, N s ("24h", "1h30m").</summary>
internal static partial class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || !Whole().IsMatch(text))
        {
            return false;
        }
        foreach (Match part in Part().Matches(text))
        {
            if (!long.TryParse(part.Groups[1].Value, out var n) || n > 100_000_000)
            {
                return false;
            }
            duration += part.Groups[2].Value switch { "h" => TimeSpan.FromHours(n), "m" => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
        }
        return true;
    }

    public static string Format(TimeSpan d) =>
        (d.TotalHours >= 1 ? $"{(long)d.TotalHours}h" : "") + (d.Minutes > 0 ? $"{d.Minutes}m" : "") + (d.Seconds > 0 ? $"{d.Seconds}s" : "") is { Length: > 0 } s ? s : "0s";

    [GeneratedRegex("^([0-9]+(h|m|s))+$")]
    private static partial Regex Whole();

    [GeneratedRegex("([0-9]+)(h|m|s)")]
    private static partial Regex Part();
}
