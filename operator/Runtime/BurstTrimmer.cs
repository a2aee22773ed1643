namespace Sigil.Runtime;

/// <summary>
/// Gives memory back to the OS after a burst of work. An operator is mostly idle: after issuing thousands of
/// certificates (first start, a CA change) it may not allocate again for hours, so the GC never runs again to
/// release the regions the burst used. Once the queue has drained after at least <see cref="BurstPasses"/> passes,
/// one aggressive, compacting collection returns them (measured: 10,000 identities, RSS 237 MB → 207 MB).
/// </summary>
internal sealed class BurstTrimmer(Func<long> passes, Func<int> queueDepth, Action trim) : IDisposable
{
    public const int BurstPasses = 1000;
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    private long _passesAtLastTrim;
    private ITimer? _timer;

    public static void CollectAggressively() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    public BurstTrimmer Start(TimeProvider time)
    {
        _timer = time.CreateTimer(_ => Check(), null, CheckEvery, CheckEvery);
        return this;
    }

    public void Check()
    {
        var done = passes();
        if (queueDepth() == 0 && done - Interlocked.Read(ref _passesAtLastTrim) >= BurstPasses)
        {
            Interlocked.Exchange(ref _passesAtLastTrim, done);
            trim();
        }
    }

    public void Dispose() => _timer?.Dispose();
}
