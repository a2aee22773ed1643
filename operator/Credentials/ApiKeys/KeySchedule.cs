using System.Security.Cryptography;
using System.Text;
using Cronos;

namespace Sigil.Credentials.ApiKeys;

/// <summary>A key's rotation rule, parsed: an interval or a cron schedule (UTC), and a grace period. Also the OAuth 2.0 client secret's.</summary>
internal sealed record KeySchedule(TimeSpan? Every, CronExpression? Cron, TimeSpan Grace)
{
    public static readonly TimeSpan MaxEarly = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When the key rotated at <paramref name="rotatedAt"/> rotates next. Intervals: rotatedAt + every, pulled
    /// earlier by up to min(1% of every, 5 minutes), derived from the key id so every pass agrees; never late.
    /// Cron: exactly the next scheduled minute after rotatedAt, no jitter.
    /// </summary>
    public DateTimeOffset NextRotation(DateTimeOffset rotatedAt, string keyId)
    {
        if (Cron is not null)
        {
            return Cron.GetNextOccurrence(rotatedAt, TimeZoneInfo.Utc) ?? DateTimeOffset.MaxValue;
        }
        var every = Every!.Value;
        var bound = Math.Min(every.Ticks / 100, MaxEarly.Ticks);
        var fraction = BitConverter.ToUInt32(SHA256.HashData(Encoding.ASCII.GetBytes(keyId)), 0) / (double)uint.MaxValue;
        var due = rotatedAt + every - TimeSpan.FromTicks((long)(bound * fraction));
        return Api.Timestamps.ToSecond(due);
    }

    /// <summary>Parses spec.apiKeys[].rotation; the error says what to change.</summary>
    public static (KeySchedule? Schedule, string? Error) Parse(string keyName, string? every, string? schedule, string? grace) =>
        ParseAt($"spec.apiKeys[{keyName}].rotation", every, schedule, grace);

    /// <summary>
    /// Parses a rotation rule at <paramref name="field"/> (API keys' and the OAuth 2.0 client secret's share one
    /// shape and one set of timing rules); the error names the field and says what to change.
    /// </summary>
    public static (KeySchedule? Schedule, string? Error) ParseAt(string field, string? every, string? schedule, string? grace)
    {
        if (string.IsNullOrEmpty(every) == string.IsNullOrEmpty(schedule))
        {
            return (null, $"{field} needs exactly one of every and schedule");
        }
        var gracePeriod = TimeSpan.FromHours(24);
        if (!string.IsNullOrEmpty(grace) && !Durations.TryParse(grace, out gracePeriod))
        {
            return (null, $"{field}.gracePeriod \"{grace}\" is not a duration: write it like 24h");
        }
        if (!string.IsNullOrEmpty(every))
        {
            if (!Durations.TryParse(every, out var interval) || interval < TimeSpan.FromMinutes(1))
            {
                return (null, $"{field}.every \"{every}\" is not a duration of at least 1m: write it like 720h");
            }
            return (new KeySchedule(interval, null, gracePeriod), null);
        }
        try
        {
            return (new KeySchedule(null, CronExpression.Parse(schedule!, CronFormat.Standard), gracePeriod), null);
        }
        catch (CronFormatException)
        {
            return (null, $"{field}.schedule \"{schedule}\" is not a five-field cron expression (minute hour day month weekday), e.g. \"0 3 * * 0\"");
        }
    }
}
