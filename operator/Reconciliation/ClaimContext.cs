using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Credentials.X509;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>
/// Gathers what <see cref="DnsNamePolicy"/> and <see cref="SecretClaimPolicy"/> decide on: each Namespace's
/// sigil.dev/allowed-dns-names annotation, and which identities name a given Secret. The Secret index follows the
/// identity cache, so a pass looks up the few identities sharing its Secret names instead of walking all of them
/// (with 10,000 identities, a walk per pass would be 10^8 steps for one round).
/// </summary>
internal sealed class ClaimContext
{
    private readonly Informer<ServiceIdentity> _identities;
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Lock _lock = new();
    // identity key -> the Secret names it claims; (namespace, Secret name) -> names of the identities claiming it.
    private readonly Dictionary<string, string[]> _claimsByIdentity = new(StringComparer.Ordinal);
    // Arrays rather than sets: nearly every Secret has one claimant, and this index holds an entry per credential.
    private readonly Dictionary<(string Namespace, string Secret), string[]> _claimants = [];

    /// <summary>Subscribes to <paramref name="identities"/>: create it before the informer runs, so it hears every identity.</summary>
    public ClaimContext(Informer<ServiceIdentity> identities, Informer<V1Namespace> namespaces, string clusterDomain)
    {
        (_identities, _namespaces, ClusterDomain) = (identities, namespaces, clusterDomain);
        identities.OnChange((old, current) => Update((current ?? old)!, current));
        foreach (var identity in identities.Enumerate())
        {
            Update(identity, identity);
        }
    }

    public string ClusterDomain { get; }

    /// <summary>The identity's own Namespace's annotation; never another namespace's.</summary>
    public string? AllowedDnsNames(string ns) =>
        _namespaces.Get(ns)?.Metadata.Annotations is { } annotations && annotations.TryGetValue(Labels.AllowedDnsNamesAnnotation, out var value) ? value : null;

    /// <summary>Other identities of its namespace that name one of the Secrets this one names (in its current spec or as given).</summary>
    public IReadOnlyList<ServiceIdentity> SharingSecretsWith(ServiceIdentity identity)
    {
        var ns = identity.Metadata.NamespaceProperty;
        var names = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var claim in SecretClaimPolicy.ClaimsOf(identity))
            {
                if (_claimants.TryGetValue((ns, claim.SecretName), out var claimants))
                {
                    names.UnionWith(claimants);
                }
            }
        }
        names.Remove(identity.Metadata.Name);
        return [.. names.Select(n => _identities.Get(ns, n)).OfType<ServiceIdentity>()];
    }

    /// <summary>Names of the identities of <paramref name="ns"/> whose credentials write Secret <paramref name="secret"/>.</summary>
    public IReadOnlyList<string> ClaimantsOf(string ns, string secret)
    {
        lock (_lock)
        {
            return _claimants.TryGetValue((ns, secret), out var names) ? names : [];
        }
    }

    /// <summary>Only the Namespace's name, version and Sigil's annotation are cached: a cluster may have many namespaces with large metadata.</summary>
    public static V1Namespace Slim(V1Namespace ns) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = ns.Metadata.Name,
            ResourceVersion = ns.Metadata.ResourceVersion,
            Annotations = ns.Metadata.Annotations is { } annotations && annotations.TryGetValue(Labels.AllowedDnsNamesAnnotation, out var value)
                ? new Dictionary<string, string> { [Labels.AllowedDnsNamesAnnotation] = value } : null,
        },
    };

    private void Update(ServiceIdentity any, ServiceIdentity? current)
    {
        var ns = any.Metadata.NamespaceProperty;
        var key = Informer<ServiceIdentity>.Key(any);
        lock (_lock)
        {
            if (_claimsByIdentity.Remove(key, out var previous))
            {
                foreach (var secret in previous)
                {
                    if (_claimants.TryGetValue((ns, secret), out var names))
                    {
                        var rest = names.Where(n => n != any.Metadata.Name).ToArray();
                        if (rest.Length == 0)
                        {
                            _claimants.Remove((ns, secret));
                        }
                        else
                        {
                            _claimants[(ns, secret)] = rest;
                        }
                    }
                }
            }
            if (current is null)
            {
                return;
            }
            var secrets = SecretClaimPolicy.ClaimsOf(current).Select(c => c.SecretName).Distinct().ToArray();
            _claimsByIdentity[key] = secrets;
            foreach (var secret in secrets)
            {
                _claimants[(ns, secret)] = _claimants.TryGetValue((ns, secret), out var names)
                    ? [.. names.Where(n => n != current.Metadata.Name), current.Metadata.Name]
                    : [current.Metadata.Name];
            }
        }
    }
}
