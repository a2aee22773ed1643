using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

public sealed class PassCountsTests
{
    [Fact]
    public async Task A_pass_in_flight_at_a_moment_does_not_count_as_one_after_it_and_the_next_pass_does()
    {
        var counts = new PassCounts();
        var release = new TaskCompletionSource<ReconcileResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconcile = counts.Around((_, _) => release.Task, _ => "1");

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
        var reconcile = counts.Around((_, _) => Task.FromException<ReconcileResult>(new InvalidOperationException("409")), _ => "1");

        await Assert.ThrowsAsync<InvalidOperationException>(() => reconcile("ns/a", CancellationToken.None));

        Assert.Equal(1, counts.Finished("ns/a"));
    }

    [Fact]
    public async Task The_counts_of_an_identity_a_pass_found_gone_are_dropped()
    {
        var counts = new PassCounts();
        var gone = false;
        var reconcile = counts.Around((_, _) => Task.FromResult(ReconcileResult.Done), _ => gone ? null : "7");

        await reconcile("ns/a", CancellationToken.None);
        var whileThere = counts.Finished("ns/a");
        gone = true;
        await reconcile("ns/a", CancellationToken.None);

        Assert.Equal(1, whileThere);
        Assert.Equal((0, 0, null), (counts.Begun("ns/a"), counts.Finished("ns/a"), counts.LastFinishedRead("ns/a")));
    }

    [Fact]
    public async Task A_finished_pass_remembers_the_version_it_read_when_it_began_not_one_that_arrived_meanwhile()
    {
        var counts = new PassCounts();
        var version = "5";
        var release = new TaskCompletionSource<ReconcileResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconcile = counts.Around((_, _) => release.Task, _ => version);

        var pass = reconcile("ns/a", CancellationToken.None);
        version = "6";
        release.SetResult(ReconcileResult.Done);
        await pass;

        Assert.Equal("5", counts.LastFinishedRead("ns/a"));
    }
}
