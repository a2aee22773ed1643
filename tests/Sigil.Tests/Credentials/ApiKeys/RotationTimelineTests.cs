using Microsoft.Extensions.Time.Testing;
using Sigil.Credentials.ApiKeys;

namespace Sigil.Tests.Credentials.ApiKeys;

/// <summary>
/// The rotation protocol step by step on a fake clock: at every instant the receiver's verifier accepts the key
/// the caller presents, and the previous key disappears exactly when its grace period ends.
/// </summary>
public sealed class RotationTimelineTests
{
    private const string Caller = "spiffe://cluster.local/ns/shop/sa/payments";
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    private static bool Accepts(IReadOnlyList<VerifierEntry> verifier, ApiKeyMaterial presented, DateTimeOffset now) =>
        verifier.Any(e => e.KeyId == presented.KeyId && e.Sha256 == presented.PresentedSha256 && (e.NotAfter is null || e.NotAfter > now));

    [Fact]
    public void At_every_step_of_a_rotation_the_verifier_accepts_what_the_caller_presents()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        var first = ApiKeyMaterial.New();
        var firstAt = clock.GetUtcNow();
        var verifier = VerifierPlan.WithCallerKey([], new CallerKeyState(Caller, "orders", "Bearer", first, firstAt, null), Grace, clock.GetUtcNow());
        Assert.True(Accepts(verifier, first, clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromDays(30));
        var next = ApiKeyMaterial.New();
        // Step 1: the caller Secret holds next, but still presents first.
        Assert.True(Accepts(verifier, first, clock.GetUtcNow()));
        // Step 2: the verifier takes next while first is current: both accepted.
        verifier = VerifierPlan.WithCallerKey(verifier, new CallerKeyState(Caller, "orders", "Bearer", first, firstAt, next), Grace, clock.GetUtcNow());
        Assert.True(Accepts(verifier, first, clock.GetUtcNow()));
        Assert.True(Accepts(verifier, next, clock.GetUtcNow()));
        // Step 3: the caller promotes next; instances that have not reloaded still present first.
        clock.Advance(TimeSpan.FromSeconds(3));
        var promotedAt = clock.GetUtcNow();
        var afterPromotion = new CallerKeyState(Caller, "orders", "Bearer", next, promotedAt, null);
        verifier = VerifierPlan.WithCallerKey(verifier, afterPromotion, Grace, clock.GetUtcNow());
        Assert.True(Accepts(verifier, next, clock.GetUtcNow()));
        Assert.True(Accepts(verifier, first, clock.GetUtcNow()));
        Assert.Equal(promotedAt + Grace, verifier.Single(e => e.KeyId == first.KeyId).NotAfter);

        // A second before the grace period ends, the old key still works; at its end it is gone.
        clock.Advance(Grace - TimeSpan.FromSeconds(1));
        verifier = VerifierPlan.WithCallerKey(verifier, afterPromotion, Grace, clock.GetUtcNow());
        Assert.True(Accepts(verifier, first, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(1));
        verifier = VerifierPlan.WithCallerKey(verifier, afterPromotion, Grace, clock.GetUtcNow());
        Assert.DoesNotContain(verifier, e => e.KeyId == first.KeyId);
        Assert.True(Accepts(verifier, next, clock.GetUtcNow()));
    }

    [Fact]
    public void Repeating_a_step_changes_nothing()
    {
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var state = new CallerKeyState(Caller, "orders", "Bearer", ApiKeyMaterial.New(), now, ApiKeyMaterial.New());

        var once = VerifierPlan.WithCallerKey([], state, Grace, now);
        var twice = VerifierPlan.WithCallerKey(once, state, Grace, now.AddMinutes(1));

        Assert.True(VerifierPlan.Same(once, twice));
    }

    [Fact]
    public void Other_callers_entries_are_left_alone_and_a_receiver_drops_callers_it_no_longer_accepts()
    {
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var other = new CallerKeyState("spiffe://cluster.local/ns/web/sa/frontend", "orders", "HMACSHA256", ApiKeyMaterial.New(), now, null);
        var verifier = VerifierPlan.WithCallerKey([], other, Grace, now);

        verifier = VerifierPlan.WithCallerKey(verifier, new CallerKeyState(Caller, "orders", "Bearer", ApiKeyMaterial.New(), now, null), Grace, now);
        var pruned = VerifierPlan.Pruned(verifier, e => e.Caller == Caller, now);

        Assert.Equal(2, verifier.Count);
        Assert.Equal(other.Current.Secret, verifier.Single(e => e.Caller == other.Caller).Secret);
        Assert.Null(verifier.Single(e => e.Caller == Caller).Secret);
        Assert.Equal([Caller], pruned.Select(e => e.Caller));
    }
}
