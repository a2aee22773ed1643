namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// private_key_jwt (RFC 7523 2.2, OpenID Connect Core 9): a JWT signed with the client's SVID key, the SVID in its x5c
/// header. <see cref="ClientAssertionValidator"/> decides whether it proves the SPIFFE ID; the replay memory then
/// refuses a jti already used (only for assertions that are otherwise valid: a forgery cannot burn a real jti).
/// </summary>
internal sealed class PrivateKeyJwt(JtiReplayCache replays, TrustedChainMemo? chains = null) : IClientAuthenticator
{
    public const string Name = "private_key_jwt";
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public string Method => Name;

    public bool IsPresentedIn(TokenRequestContext request) => request.Form.Has("client_assertion") || request.Form.Has("client_assertion_type");

    public ClientAuthResult Authenticate(TokenRequestContext request)
    {
        if (request.Form["client_assertion_type"] != JwtBearerAssertionType || request.Form["client_assertion"] is not { Length: > 0 } assertion)
        {
            return ClientAuthResult.Failure(Name, TokenError.InvalidRequest(
                $"client_assertion_type must be {JwtBearerAssertionType}, with the assertion in client_assertion")) with { Reason = "NotJwtBearer" };
        }
        var verdict = ClientAssertionValidator.Validate(assertion, request.Form["client_id"], new AssertionAudiences(request.IssuerUrl, request.TokenEndpointUrl),
            request.Trust.Trusted, request.Clients.TrustDomain, request.Now, chains, request.Trust.ClientIssuers);
        if (verdict.Assertion is not { } valid)
        {
            return Refuse(verdict.Rejection!, null, null);
        }
        if (SvidClients.Find(request, valid.SpiffeId) is not { } client)
        {
            return Refuse("NotAnOAuthClient", valid.SpiffeId, valid.Jti);
        }
        if (!replays.TryUse(valid, request.Now, out var full))
        {
            return Refuse(full ? "ReplayMemoryFull" : AssertionRejections.Replayed, valid.SpiffeId, valid.Jti);
        }
        return ClientAuthResult.Success(client, Name);
    }

    private static ClientAuthResult Refuse(string reason, string? spiffeId, string? jti) =>
        ClientAuthResult.Failure(Name, TokenError.InvalidClient(SvidClients.Refused)) with { Reason = reason, SpiffeId = spiffeId, Jti = jti };
}
