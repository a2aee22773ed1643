using Sigil.Authority;

namespace Sigil.Tests.Authority;

public sealed class CaLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CaValidity Year = new(T0, T0.AddDays(365));
    private static readonly CaValidity Hour = new(T0, T0.AddHours(1));
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(10);

    private static LifecycleInput Input(CaValidity? active = null, DateTimeOffset? now = null, CaValidity? prepared = null, DateTimeOffset? published = null,
        bool manualPrepared = false, IReadOnlyList<RetiringFacts>? retiring = null, bool canGenerate = true, string? rotate = null, string? actedOn = null,
        bool bundlesCurrent = true) =>
        new(active ?? Year, prepared, published, manualPrepared, retiring ?? [], canGenerate, rotate, actedOn, bundlesCurrent, Propagation, now ?? T0.AddDays(1));

    private static readonly CaValidity Next = new(T0.AddDays(335), T0.AddDays(700));

    private static readonly Dictionary<string, (LifecycleInput Input, string? Step)> Table = new()
    {
        ["a young CA needs nothing"] = (Input(), null),
        ["a year's CA is prepared 30 days before it expires"] = (Input(now: T0.AddDays(335)), LifecycleSteps.Prepare),
        ["and not a second earlier"] = (Input(now: T0.AddDays(335).AddSeconds(-1)), null),
        ["an hour's CA is prepared at half its lifetime"] = (Input(Hour, T0.AddMinutes(30)), LifecycleSteps.Prepare),
        ["a prepared CA is not published until every bundle holds it"] = (Input(now: T0.AddDays(336), prepared: Next, bundlesCurrent: false), null),
        ["once every bundle holds it, that time is recorded"] = (Input(now: T0.AddDays(336), prepared: Next, bundlesCurrent: true), LifecycleSteps.MarkPublished),
        ["a published CA waits for its activation time: 7 days before the active one expires"] =
            (Input(now: T0.AddDays(358).AddSeconds(-1), prepared: Next, published: T0.AddDays(336)), null),
        ["a published CA activates 7 days before the active one expires"] = (Input(now: T0.AddDays(358), prepared: Next, published: T0.AddDays(336)), LifecycleSteps.Activate),
        ["a CA published late still waits --bundle-propagation after it reached every bundle"] =
            (Input(now: T0.AddDays(360), prepared: Next, published: T0.AddDays(360).AddMinutes(-9)), null),
        ["a bundle found stale after publication makes the wait start again"] =
            (Input(now: T0.AddDays(358), prepared: Next, published: T0.AddDays(336), bundlesCurrent: false), LifecycleSteps.Unpublish),
        ["and activates once it has"] = (Input(now: T0.AddDays(360), prepared: Next, published: T0.AddDays(360).AddMinutes(-10)), LifecycleSteps.Activate),
        ["an hour's CA activates at five sixths of its lifetime"] = (Input(Hour, T0.AddMinutes(50), new CaValidity(T0.AddMinutes(30), T0.AddMinutes(90)), T0.AddMinutes(31)), LifecycleSteps.Activate),
        ["sigil.dev/rotate prepares a CA at once"] = (Input(rotate: "compromised"), LifecycleSteps.Prepare),
        ["a value already acted on does nothing"] = (Input(rotate: "compromised", actedOn: "compromised"), null),
        ["sigil.dev/rotate hurries a CA already prepared"] = (Input(now: T0.AddDays(336), prepared: Next, published: T0.AddDays(336), rotate: "now"), LifecycleSteps.HurryPrepared),
        ["a manual rotation activates --bundle-propagation after publication, not on schedule"] =
            (Input(prepared: Next, published: T0.AddDays(1).AddMinutes(-10), manualPrepared: true), LifecycleSteps.Activate),
        ["but never before --bundle-propagation"] = (Input(prepared: Next, published: T0.AddDays(1).AddMinutes(-9), manualPrepared: true), null),
        ["with --ca-secret no successor is ever made"] = (Input(now: T0.AddDays(364), canGenerate: false, rotate: "x"), null),
        ["a CA retired on schedule stays trusted after it expires"] = (Input(Next, T0.AddDays(365).AddHours(23), retiring: [new(Year, false, null, false)]), null),
        ["and leaves the bundles 24 hours after it expired"] = (Input(Next, T0.AddDays(366), retiring: [new(Year, false, null, false)]), LifecycleSteps.Drop),
        ["an hour's CA leaves the bundles ten minutes after it expired"] = (Input(now: T0.AddMinutes(70), retiring: [new(Hour, false, null, false)]), LifecycleSteps.Drop),
        ["a CA retired by hand is kept while a leaf still uses it"] = (Input(retiring: [new(Year, true, null, true)]), null),
        ["the moment no leaf uses it is recorded"] = (Input(retiring: [new(Year, true, null, false)]), LifecycleSteps.MarkLeavesMoved),
        ["it stays --bundle-propagation after that"] = (Input(retiring: [new(Year, true, T0.AddDays(1).AddMinutes(-9), false)]), null),
        ["then leaves the bundles, long before it expires"] = (Input(retiring: [new(Year, true, T0.AddDays(1).AddMinutes(-10), false)]), LifecycleSteps.Drop),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_lifecycle_takes_the_step_that_is_due(string because)
    {
        var (input, expected) = Table[because];

        var decision = CaLifecycle.Decide(input);

        Assert.True(expected == decision?.Step, $"{because}: got {decision?.Step ?? "nothing"} ({decision?.Message})");
    }

    [Theory]
    [InlineData(6, 30, 3, 5)]
    [InlineData(60, 5, 30, 50)]
    [InlineData(8760 * 60, 10, 8760 * 60 - 30 * 24 * 60, 8760 * 60 - 7 * 24 * 60)]
    public void Every_allowed_ttl_leaves_at_least_two_propagations_between_preparing_and_activating(int ttlMinutes, int propagationMinutes, int prepareMinute, int activateMinute)
    {
        var ca = new CaValidity(T0, T0.AddMinutes(ttlMinutes));

        Assert.Equal(T0.AddMinutes(prepareMinute), CaLifecycle.PrepareAt(ca));
        Assert.Equal(T0.AddMinutes(activateMinute), CaLifecycle.ActivateAt(ca));
        Assert.True(CaLifecycle.ActivateAt(ca) - CaLifecycle.PrepareAt(ca) >= 2 * TimeSpan.FromMinutes(propagationMinutes) || ttlMinutes < 6 * propagationMinutes);
    }

    [Fact]
    public void The_next_wake_up_is_the_earliest_time_a_step_can_come_due()
    {
        Assert.Equal(T0.AddDays(335), CaLifecycle.NextDue(Input()));
        Assert.Equal(T0.AddDays(358), CaLifecycle.NextDue(Input(now: T0.AddDays(336), prepared: Next, published: T0.AddDays(336))));
        Assert.Equal(T0.AddDays(366), CaLifecycle.NextDue(Input(now: T0.AddDays(359), active: Next, retiring: [new(Year, false, null, false)], canGenerate: false)));
    }

    [Fact]
    public void Leaves_of_a_CA_retired_on_schedule_move_over_half_of_what_it_has_left_and_after_a_manual_rotation_within_propagation()
    {
        var activated = T0.AddDays(358);

        Assert.Equal(TimeSpan.FromDays(3.5), CaLifecycle.MigrationWindow(activated, Year, scheduled: true, Propagation));
        Assert.Equal(Propagation, CaLifecycle.MigrationWindow(activated, Year, scheduled: false, Propagation));
        Assert.Equal(TimeSpan.Zero, CaLifecycle.MigrationWindow(T0.AddDays(400), Year, scheduled: true, Propagation));
    }

    [Fact]
    public void A_CA_Sigil_cannot_renew_warns_from_when_a_successor_would_have_been_prepared()
    {
        Assert.False(CaLifecycle.ExpiringWithoutSuccessor(Input(now: T0.AddDays(334), canGenerate: false)));
        Assert.True(CaLifecycle.ExpiringWithoutSuccessor(Input(now: T0.AddDays(335), canGenerate: false)));
        Assert.False(CaLifecycle.ExpiringWithoutSuccessor(Input(now: T0.AddDays(335))));
    }
}
