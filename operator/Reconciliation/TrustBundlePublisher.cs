using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Authority;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>
/// Keeps ConfigMap <c>sigil-trust-bundle</c> in every namespace with an identity. One that Sigil did not create is left
/// alone: it is logged once, and Sigil tries again only after <see cref="ForeignRecheck"/> (it cannot watch ConfigMaps
/// it does not label), so passes in that namespace do not each send a create that is bound to fail.
/// </summary>
internal sealed class TrustBundlePublisher(IKubernetes client, Informer<V1ConfigMap> cache, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan ForeignRecheck = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _foreignSeen = new();

    /// <summary>Whether the namespace's bundle (if Sigil may write one there) holds what <paramref name="trust"/> publishes.</summary>
    public bool IsCurrent(string ns, TrustSnapshot trust)
    {
        var current = cache.Get(ns, Rendering.TrustBundleName);
        return current is null ? _foreignSeen.ContainsKey(ns) : Rendering.TrustBundleMatches(current, trust);
    }

    public async Task EnsureAsync(string ns, TrustSnapshot trust, CancellationToken ct)
    {
        var current = cache.Get(ns, Rendering.TrustBundleName);
        if (current is not null && Rendering.TrustBundleMatches(current, trust))
        {
            return;
        }
        if (current is null && _foreignSeen.TryGetValue(ns, out var seen) && time.GetUtcNow() < seen + ForeignRecheck)
        {
            return;
        }
        var desired = Rendering.TrustBundle(ns, trust, current?.Metadata.ResourceVersion);
        try
        {
            if (current is null)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(desired, ns, cancellationToken: ct);
                _foreignSeen.TryRemove(ns, out _);
            }
            else
            {
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(desired, Rendering.TrustBundleName, ns, cancellationToken: ct);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && current is null)
        {
            // Already there but not in the cache: ours, just created (the cache will catch up), or one Sigil did not create.
            var existing = await client.CoreV1.ReadNamespacedConfigMapAsync(Rendering.TrustBundleName, ns, cancellationToken: ct);
            if (existing.Metadata.Labels is { } labels && labels.TryGetValue(Api.Labels.ManagedBy, out var managedBy) && managedBy == Api.Labels.ManagedByValue)
            {
                return;
            }
            var firstSeen = !_foreignSeen.ContainsKey(ns);
            _foreignSeen[ns] = time.GetUtcNow();
            if (firstSeen)
            {
                logger.LogWarning("ConfigMap {Namespace}/{ConfigMap} exists and was not created by Sigil; leaving it alone. Delete it to let Sigil publish the trust bundle there",
                    ns, Rendering.TrustBundleName);
            }
        }
    }
}
