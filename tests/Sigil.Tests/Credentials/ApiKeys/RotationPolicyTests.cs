using Sigil.Credentials.ApiKeys;

namespace Sigil.Tests.Credentials.ApiKeys;

/// <summary>Is an API key due, and why: the first key, a new sigil.dev/rotate value, or its schedule; never twice for one request.</summary>
public sealed class RotationPolicyTests
{
    private static readonly DateTimeOffset RotatedAt = DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly KeySchedule Monthly = KeySchedule.Parse("k", "720h", null, null).Schedule!;
    private static readonly DateTimeOffset DueAt = Monthly.NextRotation(RotatedAt, "abc123");

    /// <summary>Input, then the expected decision: why it is due (null: not due) and the rotate value the rotation records.</summary>
    private static readonly Dictionary<string, (RotationInput Input, RotationDecision Expected)> Table = new()
    {
        ["a caller Secret with no key gets its first key at once"] = (Input(null, now: RotatedAt),
            new(RotationReasons.First, null)),
        ["the first key records a rotate value, so the same value does not rotate it again"] = (Input(null, request: "r1", now: RotatedAt),
            new(RotationReasons.First, "r1")),
        ["a key inside its interval with no rotate value is not due"] = (Input("abc123", now: DueAt - TimeSpan.FromSeconds(1)),
            new(null, null)),
        ["a key at its scheduled time is due"] = (Input("abc123", now: DueAt),
            new(RotationReasons.Scheduled, null)),
        ["a key past its scheduled time is due"] = (Input("abc123", now: DueAt + TimeSpan.FromDays(3)),
            new(RotationReasons.Scheduled, null)),
        ["a new rotate value rotates a key long before its time"] = (Input("abc123", request: "r1", now: RotatedAt),
            new(RotationReasons.Manual, "r1")),
        ["a new rotate value wins over the schedule, and is recorded"] = (Input("abc123", request: "r2", actedOn: "r1", now: DueAt),
            new(RotationReasons.Manual, "r2")),
        ["the rotate value the current key was issued for does not rotate it again"] = (Input("abc123", request: "r1", actedOn: "r1", now: RotatedAt),
            new(null, null)),
        ["the rotate value a waiting next key was chosen for does not choose another"] = (Input("abc123", request: "r1", nextRequest: "r1", now: RotatedAt),
            new(null, null)),
        ["an empty rotate value is no request"] = (Input("abc123", request: "", now: RotatedAt),
            new(null, null)),
        ["an acted-on rotate value still lets the schedule rotate"] = (Input("abc123", request: "r1", actedOn: "r1", now: DueAt),
            new(RotationReasons.Scheduled, null)),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    private static RotationInput Input(string? keyId, DateTimeOffset now, string? request = null, string? actedOn = null, string? nextRequest = null) =>
        new(keyId, RotatedAt, request, actedOn, nextRequest, Monthly, now);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_rotation_policy_says_whether_a_key_is_due_and_why(string because)
    {
        var (input, expected) = Table[because];

        var decision = RotationPolicy.Decide(input);

        Assert.True(expected == decision, $"{because}: expected {expected}, got {decision}");
        Assert.Equal(expected.Reason is not null, decision.Due);
    }

    [Fact]
    public void A_cron_key_is_due_exactly_at_the_next_scheduled_minute()
    {
        var weekly = KeySchedule.Parse("k", null, "0 3 * * 0", null).Schedule!;
        var next = weekly.NextRotation(RotatedAt, "abc123");

        Assert.False(RotationPolicy.Decide(new RotationInput("abc123", RotatedAt, null, null, null, weekly, next - TimeSpan.FromSeconds(1))).Due);
        Assert.Equal(RotationReasons.Scheduled, RotationPolicy.Decide(new RotationInput("abc123", RotatedAt, null, null, null, weekly, next)).Reason);
    }
}
