namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// What both SVID methods do once a SPIFFE ID is proven: find the client it names. Only an identity with spec.oauth2
/// is a client: an identity that did not opt into OAuth cannot trade its SVID for access tokens, however valid the SVID.
/// </summary>
internal static class SvidClients
{
    /// <summary>The answer for every refusal, whatever the reason (the reason goes to the log and the metric, not to the caller).</summary>
    public const string Refused = "client authentication failed";

    public static TokenClient? Find(TokenRequestContext request, string spiffeId) =>
        request.Clients.WithClientId(spiffeId).FirstOrDefault(c => c.Identity.Spec.OAuth2 is not null);
}
