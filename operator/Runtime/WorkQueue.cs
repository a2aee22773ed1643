namespace Sigil.Runtime;

/// <summary>
/// A port of client-go's work queue: a key is queued at most once however often it is added, is never
/// handed to two workers at once (an add while it is being processed re-queues it after
/// <see cref="Done"/>), can be added after a delay (the earliest pending delay wins), and retries with
/// per-key exponential backoff until <see cref="Forget"/>. Delayed keys wait in one heap behind one timer, as in
/// client-go's delaying queue: an operator holds a renewal for every identity, and a timer each would cost memory per key.
/// </summary>
internal sealed class WorkQueue(TimeProvider time, TimeSpan baseRetryDelay, TimeSpan maxRetryDelay) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = [];
    private readonly HashSet<string> _processing = [];
    private readonly Dictionary<string, DateTimeOffset> _waiting = [];
    // Ordered by due time; may hold outdated entries for keys whose delay was shortened, skipped when they surface.
    private readonly PriorityQueue<string, DateTimeOffset> _waitingOrder = new();
    private ITimer? _timer;
    private DateTimeOffset? _timerDue;
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
            // Released under the lock: once ShutDown has run no Add gets here, so Dispose never races a Release.
            _available.Release();
        }
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
            var now = time.GetUtcNow();
            var due = now + delay;
            if (_waiting.TryGetValue(key, out var pending) && pending <= due)
            {
                return;
            }
            _waiting[key] = due;
            _waitingOrder.Enqueue(key, due);
            ArmTimerLocked(now);
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
        lock (_lock)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shuttingDown)
            {
                _queue.Enqueue(key);
                _available.Release();
            }
        }
    }

    public void ShutDown()
    {
        lock (_lock)
        {
            _shuttingDown = true;
            _timer?.Dispose();
            _timer = null;
            _waiting.Clear();
            _waitingOrder.Clear();
        }
        _available.Release();
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    /// <summary>Points the one timer at the earliest due key, unless it already fires by then.</summary>
    private void ArmTimerLocked(DateTimeOffset now)
    {
        while (_waitingOrder.TryPeek(out var key, out var due) && (!_waiting.TryGetValue(key, out var current) || current != due))
        {
            _waitingOrder.Dequeue();
        }
        if (!_waitingOrder.TryPeek(out _, out var earliest) || _timerDue <= earliest)
        {
            return;
        }
        _timer ??= time.CreateTimer(_ => FireDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        // At least a millisecond: timers count whole milliseconds, and one that fired a little early re-arms here.
        _timer.Change(earliest - now > TimeSpan.FromMilliseconds(1) ? earliest - now : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        _timerDue = earliest;
    }

    private void FireDue()
    {
        var ready = new List<string>();
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }
            var now = time.GetUtcNow();
            _timerDue = null;
            while (_waitingOrder.TryPeek(out var key, out var due) && due <= now)
            {
                _waitingOrder.Dequeue();
                if (_waiting.TryGetValue(key, out var current) && current == due)
                {
                    _waiting.Remove(key);
                    ready.Add(key);
                }
            }
            ArmTimerLocked(now);
        }
        foreach (var key in ready)
        {
            Add(key);
        }
    }
}
