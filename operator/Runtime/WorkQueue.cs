namespace Sigil.Runtime;

/// <summary>
/// A port of client-go's work queue: a key is queued at most once however often it is added, is never
/// handed to two workers at once (an add while it is being processed re-queues it after
/// <see cref="Done"/>), can be added after a delay (the earliest pending delay wins), and retries with
/// per-key exponential backoff until <see cref="Forget"/>.
/// </summary>
internal sealed class WorkQueue(TimeProvider time, TimeSpan baseRetryDelay, TimeSpan maxRetryDelay) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = [];
    private readonly HashSet<string> _processing = [];
    private readonly Dictionary<string, (DateTimeOffset Due, ITimer Timer)> _waiting = [];
    private readonly Dictionary<string, int> _failures = [];
    private readonly SemaphoreSlim _available = new(0);
    private bool _shuttingDown;

    public WorkQueue(TimeProvider time) : this(time, TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5))
    {
    }

    /// <summary>Keys queued and not yet handed out (the sigil_reconcile_queue_depth metric).</summary>
    public int Depth
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_lock)
        {
            if (_shuttingDown || !_dirty.Add(key))
            {
                return;
            }
            if (_processing.Contains(key))
            {
                return;
            }
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>Adds the key once <paramref name="delay"/> has passed; an earlier pending delay for it is kept.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }
            var due = time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(key, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }
                pending.Timer.Dispose();
            }
            var timer = time.CreateTimer(_ => Fire(key, due), null, delay, Timeout.InfiniteTimeSpan);
            _waiting[key] = (due, timer);
        }
    }

    /// <summary>Re-adds a key that failed, after base·2^failures (capped).</summary>
    public void AddRateLimited(string key)
    {
        int failures;
        lock (_lock)
        {
            failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
        }
        AddAfter(key, RetryDelay(failures));
    }

    public TimeSpan RetryDelay(int failures)
    {
        var ticks = baseRetryDelay.Ticks * Math.Pow(2, Math.Min(failures, 40));
        return ticks >= maxRetryDelay.Ticks ? maxRetryDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Clears a key's failure count after it succeeded.</summary>
    public void Forget(string key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    public int Failures(string key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Waits for the next key; null once the queue is shut down.</summary>
    public async Task<string?> GetAsync(CancellationToken ct)
    {
        while (true)
        {
            await _available.WaitAsync(ct);
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    if (_shuttingDown)
                    {
                        _available.Release();
                        return null;
                    }
                    continue;
                }
                var key = _queue.Dequeue();
                _dirty.Remove(key);
                _processing.Add(key);
                return key;
            }
        }
    }

    /// <summary>Marks a key's processing finished; if it was added meanwhile, it is queued again.</summary>
    public void Done(string key)
    {
        var requeue = false;
        lock (_lock)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shuttingDown)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
        }
        if (requeue)
        {
            _available.Release();
        }
    }

    public void ShutDown()
    {
        lock (_lock)
        {
            _shuttingDown = true;
            foreach (var (_, pending) in _waiting)
            {
                pending.Timer.Dispose();
            }
            _waiting.Clear();
        }
        _available.Release();
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    private void Fire(string key, DateTimeOffset due)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(key, out var pending) || pending.Due != due)
            {
                return;
            }
            pending.Timer.Dispose();
            _waiting.Remove(key);
        }
        Add(key);
    }
}
