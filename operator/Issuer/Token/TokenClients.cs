using Sigil.Api;

namespace Sigil.Issuer.Token;

/// <summary>
/// A client of the token endpoint as the caches hold it: the identity, its SPIFFE ID (the client_id), and its client
/// secret verifiers (null when spec.oauth2.clientSecret is not set, or its Secret is not written yet).
/// </summary>
internal sealed record TokenClient(ServiceIdentity Identity, string ClientId, IClientSecretCheck? Secret);

/// <summary>Does a presented client secret match one the client may use now (the current one, or the previous one in its grace period)?</summary>
internal interface IClientSecretCheck
{
    /// <summary>Compares in constant time against hashes; never throws for any input.</summary>
    bool Accepts(string presentedSecret, DateTimeOffset now);
}

/// <summary>
/// The identities the token endpoint reads, answered from memory (the informer caches in the operator; a fixed set in
/// tests). One boundary: nothing behind it makes an API call per request.
/// </summary>
internal interface ITokenClients
{
    string TrustDomain { get; }

    /// <summary>Every identity whose SPIFFE ID is <paramref name="clientId"/> (usually one; two identities of a namespace may share a service account).</summary>
    IReadOnlyList<TokenClient> WithClientId(string clientId);

    /// <summary>The identities a token may be asked for by <paramref name="target"/> on behalf of <paramref name="caller"/>:
    /// by name, the one of that name in the caller's namespace; by SPIFFE ID, those that have it.</summary>
    IReadOnlyList<ServiceIdentity> Receivers(string target, ServiceIdentity caller);
}
