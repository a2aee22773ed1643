using Sigil.LocalControlPlane.Storage;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Makes the control plane misbehave on purpose, for reliability tests: fail the next N matching requests
/// with a status code, delay matching requests, or cut every open watch.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private readonly List<(Func<RecordedRequest, bool> Match, int Code, int Remaining)> _failures = [];
    private readonly List<(Func<RecordedRequest, bool> Match, TimeSpan Delay)> _latencies = [];
    private readonly ObjectStore _store;

    internal FaultInjector(ObjectStore store) => _store = store;

    /// <summary>The next <paramref name="count"/> requests that match fail with <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode, Func<RecordedRequest, bool>? match = null)
    {
        lock (_lock)
        {
            _failures.Add((match ?? (_ => true), statusCode, count));
        }
    }

    /// <summary>Every matching request waits <paramref name="delay"/> before it is served, until <see cref="Reset"/>.</summary>
    public void AddLatency(TimeSpan delay, Func<RecordedRequest, bool>? match = null)
    {
        lock (_lock)
        {
            _latencies.Add((match ?? (_ => true), delay));
        }
    }

    /// <summary>Ends every open watch stream; clients see the connection close and must re-watch.</summary>
    public int CutWatches() => _store.CloseAllWatches();

    public void Reset()
    {
        lock (_lock)
        {
            _failures.Clear();
            _latencies.Clear();
        }
    }

    internal (TimeSpan Delay, int? FailWith) Decide(RecordedRequest request)
    {
        lock (_lock)
        {
            var delay = _latencies.Where(l => l.Match(request)).Aggregate(TimeSpan.Zero, (sum, l) => sum + l.Delay);
            var index = _failures.FindIndex(f => f.Remaining > 0 && f.Match(request));
            if (index < 0)
            {
                return (delay, null);
            }
            var failure = _failures[index];
            _failures[index] = failure with { Remaining = failure.Remaining - 1 };
            return (delay, failure.Code);
        }
    }
}
