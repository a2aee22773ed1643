namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// Chooses the one method a request presents (RFC 6749 2.3: "MUST NOT use more than one authentication method in each
/// request") and runs it. The methods are tried in the order given; which one applies depends only on the request.
/// </summary>
internal sealed class ClientAuthenticators(IReadOnlyList<IClientAuthenticator> methods)
{
    /// <summary>The methods this build serves. tls_client_auth and private_key_jwt join here.</summary>
    /// <param name="replays">This replica's memory of used client assertions (one per listener).</param>
    public static ClientAuthenticators Default(JtiReplayCache? replays = null)
    {
        // One memo for both SVID methods: a client that does tls_client_auth and private_key_jwt presents one chain.
        var chains = new TrustedChainMemo();
        return new([new ClientSecretBasic(), new ClientSecretPost(), new PrivateKeyJwt(replays ?? new JtiReplayCache(), chains), new TlsClientAuth(chains)]);
    }

    public IReadOnlyList<IClientAuthenticator> Methods => methods;

    public ClientAuthResult Authenticate(TokenRequestContext request)
    {
        IClientAuthenticator? chosen = null;
        foreach (var method in methods)
        {
            if (!method.IsPresentedIn(request))
            {
                continue;
            }
            if (chosen is not null)
            {
                return ClientAuthResult.Failure(chosen.Method,
                    TokenError.InvalidRequest($"the request uses more than one client authentication method ({chosen.Method} and {method.Method})"));
            }
            chosen = method;
        }
        return chosen?.Authenticate(request)
            ?? ClientAuthResult.Failure("none", TokenError.InvalidClient("no client authentication: use client_secret_basic, client_secret_post, tls_client_auth or private_key_jwt"));
    }
}
