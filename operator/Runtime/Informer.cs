using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Sigil.Runtime;

/// <summary>
/// Keeps a local cache of one kind in step with the cluster, as client-go's informer and YARP's
/// ResourceInformer do: list, then watch from the list's resourceVersion, resume watches from the last
/// version seen (bookmarks included), and list again when the server answers 410 Gone or the stream fails.
/// Handlers hear every change as (old, new), with null for "did not exist".
/// </summary>
/// <param name="transform">Applied to every object before it is cached (client-go's SetTransform): drop what the
/// controller never reads, so a cache of many objects stays small.</param>
internal sealed class Informer<T>(IResourceSource<T> source, TimeProvider time, ILogger logger, Func<T, T>? transform = null)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _cache = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _handlersLock = new();
    private Action<T?, T?>[] _handlers = [];

    public Task Synced => _synced.Task;

    /// <summary>Walks the cache without copying it; safe while it changes.</summary>
    public IEnumerable<T> Enumerate() => _cache.Select(entry => entry.Value);

    public int Count => _cache.Count;

    public T? Get(string ns, string name) => _cache.GetValueOrDefault(Key(ns, name));

    public T? Get(string key) => _cache.GetValueOrDefault(key);

    /// <summary>Adds a handler; safe while the informer runs (handlers are copied on write).</summary>
    public void OnChange(Action<T?, T?> handler)
    {
        lock (_handlersLock)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    public static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    public static string Key(T obj) => Key(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var resourceVersion = await ListAsync(ct);
                failures = 0;
                await WatchUntilGoneAsync(resourceVersion, ct);
                logger.LogInformation("Watch of {Source} expired (410 Gone); listing again", source.Description);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or KubernetesException or IOException
                // HttpClient's own timeout (a slow list of many objects), not ours.
                or OperationCanceledException)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, failures++), 30_000));
                LogRetry(e, delay);
                try
                {
                    await Task.Delay(delay, time, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Not the API's doing (an object this build cannot read): retrying would fail the same way. The owner stops.
                logger.LogError("Listing or watching {Source} failed and is not retried: {ErrorType}: {Error}", source.Description, e.GetType().Name, e.Message);
                throw;
            }
        }
    }

    private void LogRetry(Exception e, TimeSpan delay) =>
        logger.LogWarning("Listing or watching {Source} failed ({Error}); retrying in {Delay}", source.Description, e.Message, delay);

    private async Task<string> ListAsync(CancellationToken ct)
    {
        var (items, resourceVersion) = await source.ListAsync(ct);
        var fresh = items.Select(Transform).ToDictionary(Key);
        foreach (var (key, old) in _cache)
        {
            if (!fresh.ContainsKey(key) && _cache.TryRemove(key, out _))
            {
                Notify(old, null);
            }
        }
        foreach (var (key, item) in fresh)
        {
            _cache.TryGetValue(key, out var old);
            if (old?.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
            {
                _cache[key] = item;
                Notify(old, item);
            }
        }
        _synced.TrySetResult();
        return resourceVersion;
    }

    /// <summary>Watches, resuming after every clean end of the stream, until the server says the version is gone.</summary>
    private async Task WatchUntilGoneAsync(string resourceVersion, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Exception? error = null;
            void OnError(Exception e)
            {
                if (e is not KubernetesException)
                {
                    // A line of the stream that cannot be read (KubernetesClient reports it here and reads on, so the cache
                    // would silently miss that change and every later one like it): stop watching, with the error.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
                }
                error = e;
            }
            try
            {
                await foreach (var (type, received) in source.WatchAsync(resourceVersion, OnError, ct))
                {
                    var obj = Transform(received);
                    resourceVersion = obj.Metadata?.ResourceVersion ?? resourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            _cache.TryGetValue(Key(obj), out var old);
                            _cache[Key(obj)] = obj;
                            Notify(old, obj);
                            break;
                        case WatchEventType.Deleted:
                            _cache.TryRemove(Key(obj), out var gone);
                            Notify(gone ?? obj, null);
                            break;
                    }
                }
            }
            catch (HttpRequestException e) when (e.InnerException is EndOfStreamException)
            {
                // KubernetesClient reports a watch the server ended (timeout, restart) as a read past the end of
                // the stream; that is a normal end, and the watch resumes from the last version seen.
            }
            if (error is KubernetesException { Status.Code: 410 })
            {
                return;
            }
            if (error is not null)
            {
                throw error as KubernetesException ?? new KubernetesException(error.Message, error);
            }
        }
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>The object in the form this cache holds it.</summary>
    public T Transform(T obj) => transform is null ? obj : transform(obj);

    private void Notify(T? old, T? current)
    {
        foreach (var handler in _handlers)
        {
            handler(old, current);
        }
    }
}
