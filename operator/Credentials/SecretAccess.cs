using k8s;
using k8s.Models;
using Sigil.Runtime;

namespace Sigil.Credentials;

/// <summary>
/// How reconcilers read and write Secrets: through the informer cache, overlaid with what this process just
/// wrote (until the cache catches up), falling back to the API only for a Secret the cache cannot hold (one
/// Sigil did not label, which must never be overwritten). Writes use the version read, so a stale write is a 409.
/// </summary>
internal sealed class SecretAccess(IKubernetes client, Informer<V1Secret> cache)
{
    private readonly RecentWrites<V1Secret> _written = new(cache);

    /// <summary>The freshest Secret this process knows without asking the API (null if none is cached).</summary>
    public V1Secret? Cached(string ns, string name) => _written.Freshest(ns, name);

    public async Task<V1Secret?> ReadAsync(string ns, string name, CancellationToken ct) =>
        Cached(ns, name) ?? await client.ReadSecretOrNullAsync(ns, name, ct);

    /// <summary>Creates <paramref name="desired"/>, or replaces <paramref name="current"/> with it.</summary>
    public async Task<V1Secret> WriteAsync(V1Secret desired, V1Secret? current, CancellationToken ct)
    {
        var ns = desired.Metadata.NamespaceProperty;
        desired.Metadata.ResourceVersion = current?.Metadata.ResourceVersion;
        var written = current is null
            ? await client.CoreV1.CreateNamespacedSecretAsync(desired, ns, cancellationToken: ct)
            : await client.CoreV1.ReplaceNamespacedSecretAsync(desired, desired.Metadata.Name, ns, cancellationToken: ct);
        _written.Record(current?.Metadata.ResourceVersion, written);
        return written;
    }

    /// <summary>
    /// Replaces only ca.crt of an SVID Secret, as of the version the cache holds (a merge patch carrying the
    /// resourceVersion, so a Secret changed meanwhile is a 409, not overwritten): the cache keeps no key material,
    /// and reading each Secret back to write it whole would double the requests of a CA rotation.
    /// </summary>
    public async Task<V1Secret> PatchTrustBundleAsync(V1Secret current, string bundlePem, CancellationToken ct)
    {
        var patch = new V1Patch(new
        {
            metadata = new { resourceVersion = current.Metadata.ResourceVersion },
            data = new Dictionary<string, byte[]> { ["ca.crt"] = System.Text.Encoding.ASCII.GetBytes(bundlePem) },
        }, V1Patch.PatchType.MergePatch);
        var written = await client.CoreV1.PatchNamespacedSecretAsync(patch, current.Metadata.Name, current.Metadata.NamespaceProperty, cancellationToken: ct);
        _written.Record(current.Metadata.ResourceVersion, written);
        return written;
    }

    /// <summary>Every Secret this process knows of (the cache, with its own recent writes laid over it).</summary>
    public IEnumerable<V1Secret> All() => cache.Enumerate().Select(s => _written.Freshest(s.Metadata.NamespaceProperty, s.Metadata.Name) ?? s);
}
