namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// One token_endpoint_auth_method (RFC 7591 2). A request presents exactly one: <see cref="IsPresentedIn"/> says whether it
/// carries this method's credential at all (so the endpoint can refuse a request that carries two, RFC 6749 2.3), and
/// <see cref="Authenticate"/> decides, purely, from what the context gathered. No method makes an API call.
/// </summary>
internal interface IClientAuthenticator
{
    /// <summary>The name discovery advertises and metrics label: client_secret_basic, client_secret_post, ...</summary>
    string Method { get; }

    bool IsPresentedIn(TokenRequestContext request);

    ClientAuthResult Authenticate(TokenRequestContext request);
}
