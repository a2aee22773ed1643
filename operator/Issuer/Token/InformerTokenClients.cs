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
    // Informer objects are replaced, never edited, on change: one parse per Secret version, dropped with it.
    private readonly ConditionalWeakTable<V1Secret, IClientSecretCheck> _checks = [];

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
        if (OAuth2SecretName(identity) is not { } name || _secrets.Get(identity.Metadata.NamespaceProperty, name) is not { } secret
            || !IsOwnedBy(secret, identity))
        {
            return null;
        }
        return _checks.GetValue(secret, ReadCheck);
    }

    // A Secret of that name written for another identity (or by someone else) holds no verifiers for this one.
    private static bool IsOwnedBy(V1Secret secret, ServiceIdentity identity) =>
        secret.Metadata.Labels is { } labels && labels.TryGetValue(Labels.Identity, out var owner) && owner == identity.Metadata.Name;

    /// <summary>spec.oauth2.clientSecret's Secret (default &lt;name&gt;-oauth2), or null when the identity has no client secret.</summary>
    private static string? OAuth2SecretName(ServiceIdentity identity) =>
        identity.Spec.OAuth2?.ClientSecret is { } spec ? spec.SecretName is { Length: > 0 } name ? name : $"{identity.Metadata.Name}-oauth2" : null;

    private static IClientSecretCheck ReadCheck(V1Secret secret) => new Verifiers(ClientSecretVerifiers.From(secret.Metadata.Annotations));

    private sealed class Verifiers(IReadOnlyList<ClientSecretVerifier> entries) : IClientSecretCheck
    {
        public bool Accepts(string presentedSecret, DateTimeOffset now) => ClientSecretVerifiers.Accepts(entries, presentedSecret, now);
    }
}
