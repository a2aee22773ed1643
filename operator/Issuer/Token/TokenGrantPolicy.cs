using Sigil.Api;
using Sigil.Credentials;

namespace Sigil.Issuer.Token;

/// <summary>What an authenticated client asks for, with the identities the caches hold for it (gathered, immutable).</summary>
/// <param name="Caller">The authenticated client's identity.</param>
/// <param name="CallerId">Its SPIFFE ID: the token's sub and client_id.</param>
/// <param name="Receivers">The identities the target names (see <see cref="ITokenClients.Receivers"/>).</param>
/// <param name="SharingCallerId">Every identity whose SPIFFE ID is <paramref name="CallerId"/>: an acceptsFrom entry naming any of them by name names the caller.</param>
internal sealed record TokenGrantInput(
    ServiceIdentity Caller,
    string CallerId,
    TokenRequest Request,
    IReadOnlyList<ServiceIdentity> Receivers,
    IReadOnlyCollection<ServiceIdentity> SharingCallerId,
    string TrustDomain);

/// <summary>What the token says: aud (the receiver's SPIFFE ID) and the scopes granted, in request (or listing) order.</summary>
internal sealed record TokenGrant(ServiceIdentity Receiver, string Audience, IReadOnlyList<string> Scopes);

/// <summary>
/// May this client have a token for this target, and with which scopes (pure)? The receiver consents through its
/// acceptsFrom exactly as it does for API keys and JWT-SVIDs (<see cref="Consent"/>): an entry by serviceIdentity names
/// an identity of the receiver's own namespace, one by spiffeID names that ID. A name as audience means an identity of
/// the caller's namespace only, so a name never reaches another namespace's receiver. Unlike JWT-SVIDs there are no
/// tokens for audiences outside the cluster: an access token is only ever issued for a receiver that asked for its
/// callers. Granted scopes are the requested ones that the matching entries list; none requested, all they list;
/// requested but none listed, invalid_scope. An unknown target and a receiver that does not accept the caller get one
/// answer, so a client cannot map other namespaces' identities through this endpoint.
/// </summary>
internal static class TokenGrantPolicy
{
    public const string NotAccepted = "the audience is not a ServiceIdentity that accepts this client: its spec.acceptsFrom must name the client";

    public static (TokenGrant? Grant, TokenError? Error) Decide(TokenGrantInput input)
    {
        var target = input.Request.Target;
        if (target.StartsWith("spiffe://", StringComparison.Ordinal) && TrustDomainOf(target) != input.TrustDomain)
        {
            return (null, TokenError.InvalidTarget($"the audience is not in trust domain {input.TrustDomain}; this issuer grants tokens only for its own identities"));
        }
        foreach (var receiver in input.Receivers)
        {
            List<string>? listed = null;
            foreach (var entry in receiver.Spec.AcceptsFrom ?? [])
            {
                if (Names(entry, receiver, input.CallerId, input.SharingCallerId, input.TrustDomain))
                {
                    listed ??= [];
                    foreach (var scope in entry.Scopes ?? [])
                    {
                        if (!listed.Contains(scope, StringComparer.Ordinal))
                        {
                            listed.Add(scope);
                        }
                    }
                }
            }
            if (listed is null)
            {
                continue;
            }
            var granted = input.Request.Scopes.Count == 0 ? listed : [.. input.Request.Scopes.Where(s => listed.Contains(s, StringComparer.Ordinal))];
            if (input.Request.Scopes.Count > 0 && granted.Count == 0)
            {
                return (null, TokenError.InvalidScope("none of the requested scopes is granted to this client for this audience"));
            }
            return (new TokenGrant(receiver, Consent.IdOf(receiver, input.TrustDomain).ToString(), granted), null);
        }
        return (null, TokenError.InvalidTarget(NotAccepted));
    }

    /// <summary>The rule of <see cref="Consent.Accepts"/>, entry by entry (the scopes are the entry's). Loops rather than
    /// LINQ: a receiver may list many callers, and this runs for each of them on every request.</summary>
    private static bool Names(AcceptedCaller entry, ServiceIdentity receiver, string callerId, IReadOnlyCollection<ServiceIdentity> sharingCallerId, string trustDomain)
    {
        if (entry.SpiffeId is { Length: > 0 } id && id == callerId)
        {
            return true;
        }
        if (entry.ServiceIdentity is not { Length: > 0 } name)
        {
            return false;
        }
        foreach (var identity in sharingCallerId)
        {
            if (identity.Metadata.NamespaceProperty == receiver.Metadata.NamespaceProperty && identity.Metadata.Name == name
                && Consent.IdOf(identity, trustDomain).ToString() == callerId)
            {
                return true;
            }
        }
        return false;
    }

    private static string TrustDomainOf(string spiffeId)
    {
        var rest = spiffeId["spiffe://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? rest : rest[..slash];
    }
}
