namespace Sigil.Client.OAuth2;

/// <summary>
/// An OAuth 2.0 client of Sigil's token endpoint, from its <c>&lt;name&gt;-oauth2</c> Secret: <c>client-id</c> (the
/// client's SPIFFE ID), <c>client-secret</c> and <c>token-endpoint</c>.
/// </summary>
public sealed class OAuth2ClientCredential
{
    private OAuth2ClientCredential(SpiffeId clientId, string clientSecret, Uri tokenEndpoint)
    {
        ClientId = clientId;
        ClientSecret = clientSecret;
        TokenEndpoint = tokenEndpoint;
    }

    /// <summary>The client id: the client's SPIFFE ID.</summary>
    public SpiffeId ClientId { get; }

    /// <summary>The client secret. Secret.</summary>
    public string ClientSecret { get; }

    /// <summary>The token endpoint URL (<c>--issuer-url</c> + <c>/oauth2/token</c>).</summary>
    public Uri TokenEndpoint { get; }

    /// <summary>Never the secret: the client id and the endpoint.</summary>
    public override string ToString() => $"OAuth 2.0 client {ClientId} of {TokenEndpoint}";

    /// <summary>Reads a mounted <c>&lt;name&gt;-oauth2</c> Secret folder.</summary>
    public static OAuth2ClientCredential Parse(Mounting.FolderSnapshot snapshot)
    {
        var clientId = snapshot.RequireText("client-id", "the client id (the identity's SPIFFE ID)").Trim();
        var secret = snapshot.RequireText("client-secret", "the client secret").Trim();
        var endpoint = snapshot.RequireText("token-endpoint", "the token endpoint URL").Trim();
        if (!SpiffeId.TryParse(clientId, out var id))
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "client-id")} is not a SPIFFE ID.");
        }
        if (secret.Length == 0)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "client-secret")} is empty.");
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "token-endpoint")} is not an https URL.");
        }
        return new OAuth2ClientCredential(id, secret, url);
    }
}
