namespace Sigil.Client.Http;

/// <summary>What an <see cref="AccessTokenClient"/> asks for, and how it checks the token endpoint.</summary>
public sealed class AccessTokenClientOptions
{
    /// <summary>Space-separated scopes to request; null asks for every scope the receiver grants this caller.</summary>
    public string? Scope { get; set; }

    /// <summary>
    /// Which SPIFFE IDs the token endpoint's certificate may carry; default any member of the client's own trust domain
    /// (Sigil serves the endpoint with an SVID of the trust domain it issues for). A client-secret client also requires
    /// the endpoint URL's host among the certificate's DNS or IP names (the issuer's SVID carries the host of
    /// <c>--issuer-url</c> and its Service names), so another workload's SVID cannot receive the secret; set this to the
    /// issuer's exact SPIFFE ID to narrow it further.
    /// </summary>
    public SpiffeIdAuthorizer? TokenEndpointAuthorizer { get; set; }

    /// <summary>The clock for token lifetimes; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
