namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// tls_client_auth (RFC 8705 2.1): the client's X.509-SVID, presented in the TLS handshake. The TLS layer only asks for a
/// certificate and accepts whatever comes (IssuerServer); this decides, per request, against the trust bundle of this
/// moment, so a CA rotation needs no new listener and a dropped CA's SVIDs stop authenticating at once. The token is
/// bound to the certificate (RFC 8705 3: <c>cnf.x5t#S256</c>), so it is worth nothing without the SVID's key.
/// </summary>
internal sealed class TlsClientAuth(TrustedChainMemo? chains = null) : IClientAuthenticator
{
    public const string Name = "tls_client_auth";

    public string Method => Name;

    // A client certificate alone counts as presenting this method only when no other credential is in the request: an
    // SVID-serving client that also sends a secret or an assertion is using that method, and its TLS certificate is
    // incidental (RFC 8705 leaves this to the server; refusing both as "two methods" would break sidecars that always do mTLS).
    public bool IsPresentedIn(TokenRequestContext request) =>
        request.ClientCertificate is not null && request.Authorization is null
        && !request.Form.Has("client_secret") && !request.Form.Has("client_assertion") && !request.Form.Has("client_assertion_type");

    public ClientAuthResult Authenticate(TokenRequestContext request)
    {
        var leaf = request.ClientCertificate!;
        var verdict = SvidClientCertificateValidator.Validate(leaf, request.ClientCertificateChain ?? [], request.Trust.Trusted,
            request.Clients.TrustDomain, request.Now, chains, request.Trust.ClientIssuers);
        if (!verdict.Accepted)
        {
            return Refuse(verdict.Rejection!, null);
        }
        // RFC 8705 2.1: client_id identifies the client; when given it must be the one the certificate proves.
        if (request.Form["client_id"] is { } clientId && clientId != verdict.SpiffeId)
        {
            return Refuse("ClientIdIsNotTheCertificate", verdict.SpiffeId);
        }
        return SvidClients.Find(request, verdict.SpiffeId!) is { } client
            ? ClientAuthResult.Success(client, Name, AccessTokens.CertificateThumbprint(leaf))
            : Refuse("NotAnOAuthClient", verdict.SpiffeId);
    }

    /// <param name="spiffeId">The SPIFFE ID the certificate proved, when it proved one (an unproven one is not logged as if it were).</param>
    private static ClientAuthResult Refuse(string reason, string? spiffeId) =>
        ClientAuthResult.Failure(Name, TokenError.InvalidClient(SvidClients.Refused)) with { Reason = reason, SpiffeId = spiffeId };
}
