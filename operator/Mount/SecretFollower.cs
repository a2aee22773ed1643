using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Runtime;

namespace Sigil.Mount;

/// <summary>One swap of a followed folder: where, from what, and which keys (never their values).</summary>
internal sealed record FolderUpdate(string Folder, string Source, string ResourceVersion, AtomicWriteResult Write);

/// <summary>
/// Keeps one folder in step with one Secret (or ConfigMap), as the kubelet keeps a Secret volume: an informer
/// (list, watch from the last resourceVersion, relist on 410, reconnect with backoff) records what the folder should
/// hold, and a writer brings the folder there with <see cref="AtomicWriter"/>, retrying with backoff when it cannot.
/// A deleted source leaves the folder as it was, as the kubelet leaves a mounted volume.
/// </summary>
internal sealed class SecretFollower(IKubernetes client, string ns, MountTarget target, ILogger logger, TimeProvider time)
{
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile Desired? _desired;

    /// <summary>Raised after each swap of the folder's <c>..data</c> (not for an unchanged resync).</summary>
    public event Action<FolderUpdate>? Updated;

    /// <summary>Raised when the source is deleted; the folder keeps its last content.</summary>
    public event Action<string>? SourceDeleted;

    public string Folder { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.Directory));

    public MountTarget Target => target;

    /// <summary>Reads the source once and writes the folder; null when the source does not exist.</summary>
    public async Task<FolderUpdate?> WriteOnceAsync(CancellationToken ct)
    {
        var current = target.Kind == MountKind.Secret
            ? await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedSecretAsync(target.Name, ns, cancellationToken: ct), MountSources.Payload)
            : await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(target.Name, ns, cancellationToken: ct), MountSources.Payload);
        return current is null ? null : Apply(current);
    }

    /// <summary>Follows the source until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = WriteLoopAsync(stop.Token);
        var following = target.Kind == MountKind.Secret
            ? FollowAsync(MountSources.Secret(client, ns, target.Name), MountSources.Payload, stop.Token)
            : FollowAsync(MountSources.ConfigMap(client, ns, target.Name), MountSources.Payload, stop.Token);
        try
        {
            await await Task.WhenAny(writing, following);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writing, following).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task FollowAsync<T>(IResourceSource<T> source, Func<T, IReadOnlyDictionary<string, byte[]>> payload, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = new Informer<T>(source, time, logger);
        informer.OnChange((_, current) =>
        {
            if (current is null)
            {
                logger.LogWarning("{Source} in {Namespace} was deleted; {Folder} keeps its last content, as the kubelet keeps a mounted volume's",
                    target.Source, ns, Folder);
                SourceDeleted?.Invoke(target.Source);
                return;
            }
            _desired = new Desired(current.Metadata.ResourceVersion, payload(current));
            _changes.Writer.TryWrite(true);
        });
        var running = informer.RunAsync(ct);
        await Task.WhenAny(informer.Synced, running);
        if (informer.Synced.IsCompleted && informer.Count == 0)
        {
            logger.LogWarning("{Source} does not exist in {Namespace} (yet); {Folder} will follow it once it does", target.Source, ns, Folder);
        }
        await running;
    }

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        var failures = 0;
        try
        {
            while (await _changes.Reader.WaitToReadAsync(ct))
            {
                _changes.Reader.TryRead(out _);
                if (_desired is not { } desired)
                {
                    continue;
                }
                try
                {
                    Apply(desired);
                    failures = 0;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    // The message names paths, never content. Level-triggered: the retry writes whatever is desired by then.
                    var delay = TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, failures++), 30_000));
                    logger.LogWarning("Could not update {Folder} from {Source} ({Error}); retrying in {Delay}", Folder, target.Source, e.Message, delay);
                    await Task.Delay(delay, time, ct);
                    _changes.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private FolderUpdate Apply(Desired desired)
    {
        var result = AtomicWriter.Write(Folder, desired.Payload, time.GetUtcNow(), target.FileMode);
        var update = new FolderUpdate(Folder, target.Source, desired.ResourceVersion, result);
        if (!result.Swapped)
        {
            return update;
        }
        foreach (var key in result.SkippedKeys)
        {
            logger.LogWarning("Skipped key {Key} of {Source}: the kubelet would not write a file of that name either", key, target.Source);
        }
        foreach (var key in result.ShadowedKeys)
        {
            logger.LogWarning("{Folder} holds a {Key} that is not Sigil's link, so that key of {Source} is not visible there; remove it to see the key",
                Folder, key, target.Source);
        }
        logger.LogInformation("Updated {Folder} from {Source} in {Namespace} at resourceVersion {ResourceVersion}: keys {Keys}",
            Folder, target.Source, ns, desired.ResourceVersion, result.Keys);
        Updated?.Invoke(update);
        return update;
    }

    private static async Task<Desired?> ReadOrNullAsync<T>(Func<Task<T>> read, Func<T, IReadOnlyDictionary<string, byte[]>> payload)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var obj = await read();
            return new Desired(obj.Metadata.ResourceVersion, payload(obj));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private sealed record Desired(string ResourceVersion, IReadOnlyDictionary<string, byte[]> Payload);
}
