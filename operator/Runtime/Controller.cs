using Microsoft.Extensions.Logging;

namespace Sigil.Runtime;

/// <summary>What a reconcile pass asks of the queue: nothing more, or another pass after a delay.</summary>
internal sealed record ReconcileResult(TimeSpan? RequeueAfter)
{
    public static readonly ReconcileResult Done = new((TimeSpan?)null);

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>
/// A pass found the cluster ahead of what it knew (a name taken that the cache did not show): the next pass, which knows
/// better, decides. Not a failure: no warning and no error count, but a backoff all the same so it cannot spin.
/// </summary>
internal sealed class LookAgainException(string message) : Exception(message);

/// <summary>
/// Workers that take keys from a <see cref="WorkQueue"/> and reconcile them: success forgets the key's
/// failures and requeues it when asked; an exception retries it with backoff. Stops when cancelled,
/// letting passes in flight finish.
/// </summary>
internal sealed class Controller(string name, WorkQueue queue, Func<string, CancellationToken, Task<ReconcileResult>> reconcile, int workers, ILogger logger)
{
    private long _passes;

    public event Action<string, Exception>? Failed;

    /// <summary>Passes finished, successful or not, since the controller started.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    public async Task RunAsync(CancellationToken ct)
    {
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, workers)).Select(_ => Task.Run(() => WorkAsync(ct), CancellationToken.None)));
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string? key;
            try
            {
                key = await queue.GetAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            if (key is null)
            {
                return;
            }
            try
            {
                var result = await reconcile(key, ct);
                queue.Forget(key);
                if (result.RequeueAfter is { } delay)
                {
                    queue.AddAfter(key, delay);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (LookAgainException e)
            {
                logger.LogDebug("{Controller}: {Key}: {Reason}; looking again", name, key, e.Message);
                queue.AddRateLimited(key);
            }
            catch (Exception e)
            {
                var delay = queue.RetryDelay(queue.Failures(key));
                logger.LogWarning("{Controller} failed to reconcile {Key} ({Error}); retrying in {Delay}", name, key, e.Message, delay);
                Failed?.Invoke(key, e);
                queue.AddRateLimited(key);
            }
            finally
            {
                queue.Done(key);
                Interlocked.Increment(ref _passes);
            }
        }
    }
}
