using Sigil.Credentials.ApiKeys;

namespace Sigil.Tests.Credentials.ApiKeys;

public sealed class KeyScheduleTests
{
    private static readonly DateTimeOffset RotatedAt = new(2026, 11, 27, 10, 17, 30, TimeSpan.Zero);

    [Theory]
    [InlineData("720h", 5)]
    [InlineData("1h", 0.6)]
    [InlineData("10m", 0.1)]
    public void An_interval_rotates_at_most_min_1pct_5min_early_and_never_late(string every, double maxEarlyMinutes)
    {
        var (schedule, error) = KeySchedule.Parse("k", every, null, "24h");
        Assert.Null(error);

        var times = Enumerable.Range(0, 300).Select(i => schedule!.NextRotation(RotatedAt, $"key{i}")).ToList();

        var due = RotatedAt + schedule!.Every!.Value;
        Assert.All(times, t => Assert.InRange(t, due - TimeSpan.FromMinutes(maxEarlyMinutes) - TimeSpan.FromSeconds(1), due));
        Assert.True(times.Distinct().Count() > 1);
        Assert.Equal(times[7], schedule.NextRotation(RotatedAt, "key7"));
    }

    [Theory]
    [InlineData("0 3 * * 0", "2026-11-29T03:00:00Z")]
    [InlineData("*/15 * * * *", "2026-11-27T10:30:00Z")]
    [InlineData("0 0 1 * *", "2026-12-01T00:00:00Z")]
    public void A_cron_schedule_rotates_exactly_at_the_next_scheduled_minute_in_UTC(string cron, string expected)
    {
        var (schedule, _) = KeySchedule.Parse("k", null, cron, null);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule!.NextRotation(RotatedAt, "any"));
    }

    [Theory]
    [InlineData(null, null, "exactly one of every and schedule")]
    [InlineData("720h", "0 3 * * 0", "exactly one of every and schedule")]
    [InlineData(null, "every sunday", "\"every sunday\" is not a five-field cron expression")]
    [InlineData(null, "0 3 * *", "is not a five-field cron expression")]
    [InlineData("30s", null, "at least 1m")]
    [InlineData("a month", null, "is not a duration")]
    public void Bad_rotation_rules_are_reported_with_what_to_change(string? every, string? cron, string message)
    {
        var (schedule, error) = KeySchedule.Parse("orders", every, cron, null);

        Assert.Null(schedule);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.StartsWith("spec.apiKeys[orders].rotation", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_keys_are_256_bit_random_and_never_print_their_secret()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => ApiKeyMaterial.New()).ToList();

        Assert.Equal(100, keys.Select(k => k.Secret).Distinct().Count());
        Assert.All(keys, k => Assert.Matches("^sgl_[0-9a-f]{10}_[0-9A-Za-z]{49}$", k.Presented));
        Assert.All(keys, k => Assert.DoesNotContain(k.Secret, k.ToString(), StringComparison.Ordinal));
        Assert.Equal(keys[0], ApiKeyMaterial.Parse(keys[0].Presented));
    }
}
