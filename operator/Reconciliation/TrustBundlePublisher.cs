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

    /// <summary>
    /// Makes the namespace's bundle hold what <paramref name="trust"/> publishes. True when it already did (or the ConfigMap
    /// is not Sigil's to write); false when it had to be written, or another writer changed it first (a 409, left to the
    /// next pass): the CA manager records a new CA as published only after a pass that found every bundle current.
    /// </summary>
    public async Task<bool> EnsureAsync(string ns, TrustSnapshot trust, CancellationToken ct)
    {
        var current = cache.Get(ns, TrustBundleConfigMap.Name);
        if (current is not null && TrustBundleConfigMap.Matches(current, trust))
        {
            return true;
        }
        if (current is null && _foreignSeen.TryGetValue(ns, out var seen) && time.GetUtcNow() < seen + ForeignRecheck)
        {
            return true;
        }
        var desired = TrustBundleConfigMap.Render(ns, trust, current?.Metadata.ResourceVersion);
        try
        {
            if (current is null)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(desired, ns, cancellationToken: ct);
                _foreignSeen.TryRemove(ns, out _);
            }
            else
            {
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(desired, TrustBundleConfigMap.Name, ns, cancellationToken: ct);
            }
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && current is not null)
        {
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there but not in the cache: ours, just created (the cache will catch up), or one Sigil did not create.
            var existing = await client.CoreV1.ReadNamespacedConfigMapAsync(TrustBundleConfigMap.Name, ns, cancellationToken: ct);
            if (existing.Metadata.Labels is { } labels && labels.TryGetValue(Api.Labels.ManagedBy, out var managedBy) && managedBy == Api.Labels.ManagedByValue)
            {
                return false;
            }
            var firstSeen = !_foreignSeen.ContainsKey(ns);
            _foreignSeen[ns] = time.GetUtcNow();
            if (firstSeen)
            {
                logger.LogWarning("ConfigMap {Namespace}/{ConfigMap} exists and was not created by Sigil; leaving it alone. Delete it to let Sigil publish the trust bundle there",
                    ns, TrustBundleConfigMap.Name);
            }
            return true;
        }
    }
}
