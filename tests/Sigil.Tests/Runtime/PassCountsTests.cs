using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

public sealed class PassCountsTests
{
    [Fact]
    public async Task A_pass_in_flight_at_a_moment_does_not_count_as_one_after_it_and_the_next_pass_does()
    {
        var counts = new PassCounts();
        var release = new TaskCompletionSource<ReconcileResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconcile = counts.Around((_, _) => release.Task);

        var inFlight = reconcile("ns/a", CancellationToken.None);
        var begunAtMoment = counts.Begun("ns/a");
        release.SetResult(ReconcileResult.Done);
        await inFlight;
        var afterInFlight = counts.Finished("ns/a");
        await reconcile("ns/a", CancellationToken.None);

        Assert.Equal(1, begunAtMoment);
        Assert.False(afterInFlight > begunAtMoment, "the pass in flight was taken for one that began later");
        Assert.True(counts.Finished("ns/a") > begunAtMoment);
        Assert.Equal(0, counts.Finished("ns/b"));
    }

    [Fact]
    public async Task A_pass_that_throws_has_finished()
    {
        var counts = new PassCounts();
        var reconcile = counts.Around((_, _) => Task.FromException<ReconcileResult>(new InvalidOperationException("409")));

        await Assert.ThrowsAsync<InvalidOperationException>(() => reconcile("ns/a", CancellationToken.None));

        Assert.Equal(1, counts.Finished("ns/a"));
    }
}
