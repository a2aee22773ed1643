namespace Sigil.Runtime;

/// <summary>
/// The work queue of the leadership term under way, where informer handlers add keys; none while this replica does not
/// lead (the next term starts from the cache, so nothing is owed across terms). Informers run in every replica and their
/// handlers fire whether or not a term is open; this is what makes a term start without losing any of their keys.
/// </summary>
internal sealed class CurrentQueue
{
    private WorkQueue? _queue;

    /// <summary>The open term's queue, or null between terms.</summary>
    public WorkQueue? Queue => Volatile.Read(ref _queue);

    /// <summary>Adds the key to the open term's queue; between terms there is nothing to add it to.</summary>
    public void Add(string key) =>
        // A full fence, not a plain read: the informer cached the object just before this handler ran, and that write must
        // not be reordered after this read (see Open).
        Interlocked.CompareExchange(ref _queue, null, null)?.Add(key);

    /// <summary>
    /// Opens a term: publishes <paramref name="queue"/>, then adds every key the cache holds. In that order: the informer
    /// caches an object before its handlers run, so an object cached while the term opens is either cached before the
    /// queue is published (and the walk, which starts after, sees it) or its handler finds the queue. Walking first and
    /// publishing after lost an object cached during the walk behind the walk's position (a ConcurrentDictionary walk
    /// does not promise to see concurrent adds) whose handler ran before the queue was published: it waited for the
    /// next resync, or for ever if the informer never reported it again.
    /// </summary>
    public void Open(WorkQueue queue, IEnumerable<string> cachedKeys)
    {
        Interlocked.Exchange(ref _queue, queue);
        foreach (var key in cachedKeys)
        {
            queue.Add(key);
        }
    }

    /// <summary>Ends the term: handlers add nothing until the next one opens.</summary>
    public void Close() => Interlocked.Exchange(ref _queue, null);
}
