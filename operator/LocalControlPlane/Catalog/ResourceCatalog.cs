using System.Collections.Immutable;

namespace Sigil.LocalControlPlane.Catalog;

/// <summary>
/// Which resources are served right now: the built-ins plus whatever established CRDs add.
/// Readers take an immutable snapshot, so discovery never sees a half-registered CRD.
/// </summary>
internal sealed class ResourceCatalog(bool servesClusterTrustBundles = true, bool servesPodCertificateRequests = true)
{
    private readonly ImmutableList<ResourceType> _builtIns =
    [
        .. BuiltInResources.All.Where(r => (servesClusterTrustBundles || r.StorageKey != "clustertrustbundles")
            && (servesPodCertificateRequests || r.StorageKey != "podcertificaterequests")),
    ];
    private ImmutableDictionary<string, ImmutableList<ResourceType>> _custom = ImmutableDictionary<string, ImmutableList<ResourceType>>.Empty;

    public IReadOnlyList<ResourceType> All => [.. _builtIns, .. _custom.Values.SelectMany(v => v)];

    public ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    /// <summary>Registers (or re-registers) the served versions of one CRD, keyed by the CRD's name.</summary>
    public void SetCustom(string crdName, IReadOnlyList<ResourceType> versions) =>
        ImmutableInterlocked.Update(ref _custom, c => versions.Count == 0 ? c.Remove(crdName) : c.SetItem(crdName, [.. versions]));

    public void RemoveCustom(string crdName) => ImmutableInterlocked.Update(ref _custom, c => c.Remove(crdName));
}
