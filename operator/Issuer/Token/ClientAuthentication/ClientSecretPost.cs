namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>client_secret_post (RFC 6749 2.3.1): client_id and client_secret in the form body.</summary>
internal sealed class ClientSecretPost : IClientAuthenticator
{
    public const string Name = "client_secret_post";

    public string Method => Name;

    public bool IsPresentedIn(TokenRequestContext request) => request.Form.Has("client_secret");

    public ClientAuthResult Authenticate(TokenRequestContext request) =>
        request.Form["client_id"] is { } clientId
            ? ClientSecrets.Verify(request, clientId, request.Form["client_secret"]!, Name)
            : ClientAuthResult.Failure(Name, TokenError.InvalidRequest("client_secret is given without client_id"));
}
