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
/// What a namespace's bundle already held before a publish pass wrote anything: the CA certificates (ca.crt), the JWT
/// keys (jwks.json; bundle.spiffe is written with them). Each lifecycle waits only for its own part, so a new JWT key
/// being published does not restart the wait of a prepared CA, nor the other way round.
/// </summary>
internal readonly record struct BundleHeld(bool Authorities, bool JwtKeys)
{
    public static readonly BundleHeld Both = new(true, true);
    public static readonly BundleHeld Neither = new(false, false);

    public bool All => Authorities && JwtKeys;

    public static BundleHeld operator &(BundleHeld a, BundleHeld b) => new(a.Authorities && b.Authorities, a.JwtKeys && b.JwtKeys);
}

/// <summary>
/// Keeps ConfigMap <c>sigil-trust-bundle</c> in every namespace with an identity. One that Sigil did not create is left
/// alone: it is logged once, and Sigil tries again only after <see cref="ForeignRecheck"/> (it cannot watch ConfigMaps
/// it does not label), so passes in that namespace do not each send a create that is bound to fail.
/// </summary>
internal sealed class TrustBundlePublisher(IKubernetes client, Informer<V1ConfigMap> cache, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan ForeignRecheck = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _foreignSeen = new();

    // The CA manager and identity passes publish concurrently; one namespace's bundle is written by one of them at a time,
    // so a ConfigMap Sigil did not create costs one refused create and one warning, not one per concurrent caller.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _namespaceGates = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes the namespace's bundle hold what <paramref name="trust"/> publishes. True when it already did (or the ConfigMap
    /// is not Sigil's to write); false when it had to be written, or another writer changed it first (a 409, left to the
    /// next pass): the CA manager records a new CA as published only after a pass that found every bundle current.
    /// </summary>
    public async Task<bool> EnsureAsync(string ns, TrustSnapshot trust, CancellationToken ct) => (await PublishAsync(ns, trust, ct)).All;

    /// <summary>As <see cref="EnsureAsync"/>, saying which parts the bundle already held (a part it held is not on its way).</summary>
    public async Task<BundleHeld> PublishAsync(string ns, TrustSnapshot trust, CancellationToken ct)
    {
        var gate = _namespaceGates.GetOrAdd(ns, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await PublishOneAtATimeAsync(ns, trust, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<BundleHeld> PublishOneAtATimeAsync(string ns, TrustSnapshot trust, CancellationToken ct)
    {
        var current = cache.Get(ns, TrustBundleConfigMap.Name);
        if (current is not null && TrustBundleConfigMap.Matches(current, trust))
        {
            return BundleHeld.Both;
        }
        if (current is null && _foreignSeen.TryGetValue(ns, out var seen) && time.GetUtcNow() < seen + ForeignRecheck)
        {
            return BundleHeld.Both;
        }
        var held = current is null ? BundleHeld.Neither : TrustBundleConfigMap.Held(current, trust);
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
            return held;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && current is not null)
        {
            // Someone else wrote it meanwhile: what it holds now is unknown until the next pass.
            return BundleHeld.Neither;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there but not in the cache: ours, just created (the cache will catch up), or one Sigil did not create.
            var existing = await client.CoreV1.ReadNamespacedConfigMapAsync(TrustBundleConfigMap.Name, ns, cancellationToken: ct);
            if (existing.Metadata.Labels is { } labels && labels.TryGetValue(Api.Labels.ManagedBy, out var managedBy) && managedBy == Api.Labels.ManagedByValue)
            {
                return BundleHeld.Neither;
            }
            var firstSeen = !_foreignSeen.ContainsKey(ns);
            _foreignSeen[ns] = time.GetUtcNow();
            if (firstSeen)
            {
                logger.LogWarning("ConfigMap {Namespace}/{ConfigMap} exists and was not created by Sigil; leaving it alone. Delete it to let Sigil publish the trust bundle there",
                    ns, TrustBundleConfigMap.Name);
            }
            return BundleHeld.Both;
        }
    }
}
