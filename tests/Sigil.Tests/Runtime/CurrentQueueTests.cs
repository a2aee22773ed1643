using Microsoft.Extensions.Time.Testing;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

public sealed class CurrentQueueTests
{
    private static readonly CancellationToken Soon = new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token;

    /// <summary>Every key the queue hands out until it is empty, each marked done.</summary>
    private static async Task<List<string>> DrainAsync(WorkQueue queue)
    {
        var keys = new List<string>();
        while (queue.Depth > 0)
        {
            var key = (await queue.GetAsync(Soon))!;
            keys.Add(key);
            queue.Done(key);
        }
        return keys;
    }

    [Fact]
    public async Task An_identity_cached_while_a_term_opens_is_queued_even_if_the_walk_of_the_cache_passed_it_by()
    {
        var current = new CurrentQueue();
        using var queue = new WorkQueue(new FakeTimeProvider());
        // The walk of the cache yields a; meanwhile the informer caches b behind the walk's position (a ConcurrentDictionary
        // walk need not see it) and its handler runs, all before the walk ends.
        IEnumerable<string> Walk()
        {
            yield return "load/a";
            current.Add("load/b");
        }

        current.Open(queue, Walk());

        Assert.Equal(["load/a", "load/b"], await DrainAsync(queue));
    }

    [Fact]
    public async Task Between_terms_handlers_queue_nothing_and_the_next_term_starts_from_the_cache()
    {
        var current = new CurrentQueue();
        using var first = new WorkQueue(new FakeTimeProvider());
        current.Add("load/before");
        Assert.Null(current.Queue);

        current.Open(first, ["load/a"]);
        current.Add("load/b");
        Assert.Same(first, current.Queue);
        Assert.Equal(["load/a", "load/b"], await DrainAsync(first));

        current.Close();
        current.Add("load/after");
        Assert.Null(current.Queue);
        Assert.Equal(0, first.Depth);

        using var second = new WorkQueue(new FakeTimeProvider());
        current.Open(second, ["load/a", "load/b", "load/after"]);
        Assert.Equal(["load/a", "load/b", "load/after"], await DrainAsync(second));
    }
}
