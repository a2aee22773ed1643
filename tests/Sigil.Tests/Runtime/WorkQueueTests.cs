using Microsoft.Extensions.Time.Testing;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static readonly CancellationToken Soon = new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token;

    [Fact]
    public async Task A_key_added_many_times_is_queued_once()
    {
        using var queue = new WorkQueue(new FakeTimeProvider());

        queue.Add("a");
        queue.Add("a");
        queue.Add("b");

        Assert.Equal(2, queue.Depth);
        Assert.Equal("a", await queue.GetAsync(Soon));
        Assert.Equal("b", await queue.GetAsync(Soon));
    }

    [Fact]
    public async Task A_key_added_while_being_processed_comes_back_only_after_Done()
    {
        using var queue = new WorkQueue(new FakeTimeProvider());
        queue.Add("a");
        var key = await queue.GetAsync(Soon);

        queue.Add("a");
        Assert.Equal(0, queue.Depth);
        queue.Done(key!);

        Assert.Equal(1, queue.Depth);
        Assert.Equal("a", await queue.GetAsync(Soon));
    }

    [Fact]
    public async Task AddAfter_waits_for_the_clock_and_the_earliest_delay_wins()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue(time);

        queue.AddAfter("a", TimeSpan.FromMinutes(10));
        queue.AddAfter("a", TimeSpan.FromMinutes(2));
        queue.AddAfter("a", TimeSpan.FromMinutes(5));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, queue.Depth);
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, queue.Depth);
        Assert.Equal("a", await queue.GetAsync(Soon));
        queue.Done("a");
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task Many_delayed_keys_each_come_when_due_and_only_once()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue(time);

        for (var minute = 30; minute >= 1; minute--)
        {
            queue.AddAfter($"k{minute}", TimeSpan.FromMinutes(minute));
        }
        queue.AddAfter("k20", TimeSpan.FromSeconds(90));
        var arrivals = new List<(int Minute, string Key)>();
        for (var minute = 1; minute <= 40; minute++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            while (queue.Depth > 0)
            {
                var key = (await queue.GetAsync(Soon))!;
                queue.Done(key);
                arrivals.Add((minute, key));
            }
        }

        Assert.Equal(30, arrivals.Count);
        Assert.Equal((2, "k20"), arrivals.Single(a => a.Key == "k20"));
        Assert.All(arrivals.Where(a => a.Key != "k20"), a => Assert.Equal($"k{a.Minute}", a.Key));
    }

    [Fact]
    public void Failures_back_off_exponentially_up_to_the_cap_and_Forget_resets_them()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue(time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));

        var delays = Enumerable.Range(0, 6).Select(queue.RetryDelay).ToList();
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        var failuresBefore = queue.Failures("a");
        queue.Forget("a");

        Assert.Equal([1, 2, 4, 8, 10, 10], delays.Select(d => (int)d.TotalSeconds));
        Assert.Equal(2, failuresBefore);
        Assert.Equal(0, queue.Failures("a"));
    }

    [Fact]
    public async Task ShutDown_releases_waiting_workers()
    {
        using var queue = new WorkQueue(new FakeTimeProvider());
        var waiting = queue.GetAsync(Soon);

        queue.ShutDown();

        Assert.Null(await waiting);
    }

    [Fact]
    public async Task A_controller_serializes_work_per_key_and_retries_failures()
    {
        using var queue = new WorkQueue(TimeProvider.System, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
        var running = 0;
        var maxConcurrentForKey = 0;
        var attempts = 0;
        using var cts = new CancellationTokenSource();
        var controller = new Controller("test", queue, async (key, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            try
            {
                maxConcurrentForKey = Math.Max(maxConcurrentForKey, now);
                await Task.Delay(20, ct);
                queue.Add(key);
            }
            finally
            {
                // A pass cancelled in its delay (one a retry timer started just as the test stopped) must not stay counted
                // as running, or the next one looks concurrent with it.
                Interlocked.Decrement(ref running);
            }
            if (Interlocked.Increment(ref attempts) < 5)
            {
                throw new InvalidOperationException("transient");
            }
            await cts.CancelAsync();
            return ReconcileResult.Done;
        }, workers: 4, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        queue.Add("only");
        await controller.RunAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(maxConcurrentForKey == 1, $"one key ran {maxConcurrentForKey} times at once");
        Assert.True(attempts >= 5, $"only {attempts} attempts");
    }
}
