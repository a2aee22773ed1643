using Sigil.Credentials.ApiKeys;

namespace Sigil.Tests.Credentials.ApiKeys;

public sealed class PromotionPolicyTests
{
    private static readonly DateTimeOffset StagedAt = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(250);

    private static PromotionInput Input(DateTimeOffset now, DateTimeOffset? stagedAt = null, bool held = true, bool first = false, TimeSpan? propagation = null) =>
        new(first, stagedAt, held, now, propagation ?? Propagation);

    /// <summary>Input, then (promote?, reason, staged-at kept on the Secret, whether to write it, when to promote).</summary>
    private static readonly Dictionary<string, (PromotionInput Input, PromotionDecision Expected)> Table = new()
    {
        ["the very first key is presented at once"] = (Input(StagedAt + Ms, first: true),
            new(true, PromotionReasons.FirstKey, null, false, null)),
        ["the very first key is presented at once even if a wait was recorded"] = (Input(StagedAt + Ms, StagedAt, first: true),
            new(true, PromotionReasons.FirstKey, null, false, null)),
        ["with no propagation the next key is promoted in the pass that staged it"] = (Input(StagedAt + Ms, propagation: TimeSpan.Zero),
            new(true, PromotionReasons.NoPropagation, null, false, null)),
        ["with no propagation a receiver that just got the key does not hold the promotion"] = (Input(StagedAt + Ms, held: false, propagation: TimeSpan.Zero),
            new(true, PromotionReasons.NoPropagation, null, false, null)),
        ["a next key waits, from the next whole second, for the propagation time"] = (Input(StagedAt + Ms, held: false),
            new(false, PromotionReasons.WaitStarted, StagedAt.AddSeconds(1), true, StagedAt.AddSeconds(1) + Propagation)),
        ["a next key already in every keys.json but with no recorded wait starts the wait now"] = (Input(StagedAt),
            new(false, PromotionReasons.WaitStarted, StagedAt.AddSeconds(1), true, StagedAt.AddSeconds(1) + Propagation)),
        ["the wait survives a restart: a recorded time is kept, not written again"] = (Input(StagedAt + TimeSpan.FromMinutes(4), StagedAt),
            new(false, PromotionReasons.Propagating, StagedAt, false, StagedAt + Propagation)),
        ["one second before the wait ends the caller still presents the old key"] = (Input(StagedAt + Propagation - TimeSpan.FromSeconds(1), StagedAt),
            new(false, PromotionReasons.Propagating, StagedAt, false, StagedAt + Propagation)),
        ["the next key is promoted when the wait ends"] = (Input(StagedAt + Propagation, StagedAt),
            new(true, PromotionReasons.Propagated, null, false, null)),
        ["an operator that was down past the end of the wait promotes at once"] = (Input(StagedAt + TimeSpan.FromDays(2), StagedAt),
            new(true, PromotionReasons.Propagated, null, false, null)),
        ["a receiver that gained the key only now restarts the wait"] = (Input(StagedAt + TimeSpan.FromMinutes(4) + Ms, StagedAt, held: false),
            new(false, PromotionReasons.WaitRestarted, StagedAt + TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(1), true, StagedAt + TimeSpan.FromMinutes(14) + TimeSpan.FromSeconds(1))),
        ["a keys.json that lost the key after the wait ended restarts the wait instead of promoting"] = (Input(StagedAt + TimeSpan.FromMinutes(11), StagedAt, held: false),
            new(false, PromotionReasons.WaitRestarted, StagedAt + TimeSpan.FromMinutes(11) + TimeSpan.FromSeconds(1), true, StagedAt + TimeSpan.FromMinutes(21) + TimeSpan.FromSeconds(1))),
        ["a recorded time in the future (another replica's clock) is waited out, never cut short"] = (Input(StagedAt, StagedAt.AddMinutes(2)),
            new(false, PromotionReasons.Propagating, StagedAt.AddMinutes(2), false, StagedAt.AddMinutes(2) + Propagation)),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_promotion_policy_presents_a_next_key_only_after_every_receiver_held_it_for_the_propagation_time(string because)
    {
        var (input, expected) = Table[because];

        var decision = PromotionPolicy.Decide(input);

        Assert.True(expected == decision, $"{because}: expected {expected}, got {decision}");
    }

    [Fact]
    public void Every_pass_of_a_wait_agrees_on_when_to_promote_and_none_promotes_early()
    {
        var staging = PromotionPolicy.Decide(Input(StagedAt + Ms));
        var stagedAt = staging.StagedAt!.Value;

        var passes = Enumerable.Range(0, 700).Select(s => (Now: StagedAt + Ms + TimeSpan.FromSeconds(s), Decision: PromotionPolicy.Decide(Input(StagedAt + Ms + TimeSpan.FromSeconds(s), stagedAt))))
            .ToList();

        Assert.All(passes.Where(p => p.Decision.Promote), p => Assert.True(p.Now >= StagedAt + Ms + Propagation, $"promoted at {p.Now}"));
        Assert.All(passes.Where(p => !p.Decision.Promote), p => Assert.Equal(staging.PromoteAt, p.Decision.PromoteAt));
        Assert.Contains(passes, p => p.Decision.Promote);
    }
}
