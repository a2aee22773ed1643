using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Credentials.OAuth2;
using Sigil.Runtime;

namespace Sigil.Issuer.Token;

/// <summary>
/// The token endpoint's view of the informer caches every replica keeps: identities by SPIFFE ID (an index kept in step
/// with the informer, so a request costs a dictionary lookup, not a walk over every identity) and each client's secret
/// verifiers from the annotation of its OAuth2 Secret (parsed once per version of that Secret). No API call per request.
/// </summary>
internal sealed class InformerTokenClients : ITokenClients
{
    private readonly Informer<ServiceIdentity> _identities;
    private readonly Informer<V1Secret> _secrets;
    private readonly ConcurrentDictionary<string, string[]> _keysById = new(StringComparer.Ordinal);
    private readonly Lock _indexLock = new();
    // Informer objects are replaced, never edited, on change: the verifiers are parsed once per version of the identity
    // and of its Secret (a reference compare finds out which), and dropped with them.
    private readonly ConditionalWeakTable<ServiceIdentity, Verified> _verified = [];

    public InformerTokenClients(Informer<ServiceIdentity> identities, Informer<V1Secret> secrets, string trustDomain)
    {
        (_identities, _secrets, TrustDomain) = (identities, secrets, trustDomain);
        identities.OnChange(Reindex);
        foreach (var identity in identities.Enumerate())
        {
            Reindex(null, identity);
        }
    }

    public string TrustDomain { get; }

    public IReadOnlyList<TokenClient> WithClientId(string clientId) =>
        _keysById.TryGetValue(clientId, out var keys)
            ? [.. keys.Select(_identities.Get).OfType<ServiceIdentity>().Select(i => new TokenClient(i, clientId, SecretOf(i)))]
            : [];

    public IReadOnlyList<ServiceIdentity> Receivers(string target, ServiceIdentity caller)
    {
        if (!target.StartsWith("spiffe://", StringComparison.Ordinal))
        {
            return _identities.Get(caller.Metadata.NamespaceProperty, target) is { } named ? [named] : [];
        }
        return _keysById.TryGetValue(target, out var keys) ? [.. keys.Select(_identities.Get).OfType<ServiceIdentity>()] : [];
    }

    private void Reindex(ServiceIdentity? old, ServiceIdentity? current)
    {
        lock (_indexLock)
        {
            if (old is not null)
            {
                var (id, key) = (Consent.IdOf(old, TrustDomain).ToString(), Informer<ServiceIdentity>.Key(old));
                if (_keysById.TryGetValue(id, out var keys))
                {
                    var rest = keys.Where(k => k != key).ToArray();
                    if (rest.Length == 0)
                    {
                        _keysById.TryRemove(id, out _);
                    }
                    else
                    {
                        _keysById[id] = rest;
                    }
                }
            }
            if (current is not null)
            {
                var (id, key) = (Consent.IdOf(current, TrustDomain).ToString(), Informer<ServiceIdentity>.Key(current));
                _keysById[id] = _keysById.TryGetValue(id, out var keys) ? [.. keys.Where(k => k != key), key] : [key];
            }
        }
    }

    private IClientSecretCheck? SecretOf(ServiceIdentity identity)
    {
        if (identity.Spec.OAuth2?.ClientSecret is not { } spec)
        {
            return null;
        }
        var secret = _secrets.Get(identity.Metadata.NamespaceProperty, SecretClaimPolicy.OAuth2SecretName(identity, spec));
        if (_verified.TryGetValue(identity, out var known) && ReferenceEquals(known.Secret, secret))
        {
            return known.Check;
        }
        // The credential's own rule for which Secret may verify this identity (name, managed-by, ownerReference to its uid).
        var entries = ClientSecretVerifiers.For(identity, secret);
        var check = entries.Count == 0 ? null : new Verifiers(entries);
        _verified.AddOrUpdate(identity, new Verified(secret, check));
        return check;
    }

    private sealed record Verified(V1Secret? Secret, IClientSecretCheck? Check);

    private sealed class Verifiers(IReadOnlyList<ClientSecretVerifier> entries) : IClientSecretCheck
    {
        public bool Accepts(string presentedSecret, DateTimeOffset now) => ClientSecretVerifiers.Accepts(entries, presentedSecret, now);
    }
}
