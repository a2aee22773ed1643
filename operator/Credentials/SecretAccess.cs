using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Sigil.Runtime;

namespace Sigil.Credentials;

/// <summary>
/// How reconcilers read and write Secrets: through the informer cache, overlaid with what this process just
/// wrote (until the cache catches up). The cache holds every Secret Sigil labeled, so a name it does not hold is
/// either free or taken by a Secret someone else made: a create tells which (409), and from then on that name is
/// read from the API, so the pass after sees the other Secret and never overwrites it. Asking the API about every
/// new name first cost a read (a 404) per issuance. Writes use the version read, so a stale write is a 409.
/// </summary>
internal sealed class SecretAccess(IKubernetes client, Informer<V1Secret> cache)
{
    private readonly RecentWrites<V1Secret> _written = new(cache);
    // Names a create found taken by a Secret the cache cannot hold; read from the API until that Secret is gone.
    private readonly ConcurrentDictionary<string, byte> _takenElsewhere = new();

    /// <summary>The freshest Secret this process knows without asking the API (null if none is cached).</summary>
    public V1Secret? Cached(string ns, string name) => _written.Freshest(ns, name);

    public async Task<V1Secret?> ReadAsync(string ns, string name, CancellationToken ct)
    {
        if (Cached(ns, name) is { } cached)
        {
            return cached;
        }
        var key = Informer<V1Secret>.Key(ns, name);
        if (!_takenElsewhere.ContainsKey(key))
        {
            return null;
        }
        var read = await client.ReadSecretOrNullAsync(ns, name, ct);
        if (read is null)
        {
            _takenElsewhere.TryRemove(key, out _);
        }
        return read;
    }

    /// <summary>Creates <paramref name="desired"/>, or replaces <paramref name="current"/> with it.</summary>
    /// <exception cref="LookAgainException">A create found the name taken by a Secret the cache did not hold.</exception>
    public async Task<V1Secret> WriteAsync(V1Secret desired, V1Secret? current, CancellationToken ct)
    {
        var ns = desired.Metadata.NamespaceProperty;
        desired.Metadata.ResourceVersion = current?.Metadata.ResourceVersion;
        V1Secret written;
        try
        {
            written = current is null
                ? await client.CoreV1.CreateNamespacedSecretAsync(desired, ns, cancellationToken: ct)
                : await client.CoreV1.ReplaceNamespacedSecretAsync(desired, desired.Metadata.Name, ns, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (current is null && e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            _takenElsewhere[Informer<V1Secret>.Key(ns, desired.Metadata.Name)] = 0;
            throw new LookAgainException($"Secret {ns}/{desired.Metadata.Name} already exists and the cache does not hold it");
        }
        _written.Record(current?.Metadata.ResourceVersion, written);
        _takenElsewhere.TryRemove(Informer<V1Secret>.Key(ns, desired.Metadata.Name), out _);
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
