using Microsoft.Extensions.Time.Testing;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

/// <summary>Memory goes back to the OS once after a burst, never while work is queued, and never while idle.</summary>
public sealed class BurstTrimmerTests
{
    private sealed class Scenario
    {
        public long Passes { get; set; }
        public int Depth { get; set; }
        public int Trims { get; private set; }
        public FakeTimeProvider Time { get; } = new();

        public BurstTrimmer Start() => new BurstTrimmer(() => Passes, () => Depth, () => Trims++).Start(Time);

        public void Wait() => Time.Advance(BurstTrimmer.CheckEvery);
    }

    [Fact]
    public void A_drained_burst_trims_once_and_the_idle_time_after_it_does_not_trim_again()
    {
        var scenario = new Scenario();
        using var trimmer = scenario.Start();

        scenario.Passes = BurstTrimmer.BurstPasses;
        scenario.Wait();
        scenario.Wait();
        scenario.Wait();

        Assert.Equal(1, scenario.Trims);
    }

    [Fact]
    public void Nothing_is_trimmed_while_keys_are_still_queued()
    {
        var scenario = new Scenario { Passes = 5 * BurstTrimmer.BurstPasses, Depth = 40 };
        using var trimmer = scenario.Start();

        scenario.Wait();
        var whileQueued = scenario.Trims;
        scenario.Depth = 0;
        scenario.Wait();

        Assert.Equal(0, whileQueued);
        Assert.Equal(1, scenario.Trims);
    }

    [Fact]
    public void A_trickle_of_passes_below_the_burst_size_does_not_trim()
    {
        var scenario = new Scenario();
        using var trimmer = scenario.Start();

        for (var i = 0; i < 20; i++)
        {
            scenario.Passes += BurstTrimmer.BurstPasses / 40;
            scenario.Wait();
        }

        Assert.Equal(0, scenario.Trims);
    }
}
