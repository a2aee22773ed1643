using Sigil.Client;
using Sigil.Client.Jwt;

namespace Sigil.AspNetCore;

/// <summary>
/// Options of <c>AddSigilJwtSvid</c> and <c>AddSigilAccessToken</c>: where the signing keys come from (the mounted
/// <c>sigil-trust-bundle</c> ConfigMap, or the issuer's discovery document), who this service is (its audience), and
/// which issuer to expect.
/// </summary>
public sealed class SigilJwtOptions
{
    /// <summary>
    /// The signing keys from a mounted <c>sigil-trust-bundle</c> ConfigMap (<c>jwks.json</c>), reloaded as the kubelet
    /// updates it, and read again at once when a token names a key it does not hold. No network call. Set this or
    /// <see cref="Authority"/>; the source stays owned by the caller.
    /// </summary>
    public JwksSource? Jwks { get; set; }

    /// <summary>
    /// Sigil's issuer URL (<c>--issuer-url</c>): discovery and <c>/keys</c> are read from it, refreshed every
    /// <see cref="KeyRefreshInterval"/> and when a token names an unknown key, and the issuer is checked against it.
    /// Set this (or <see cref="MetadataAddress"/>) or <see cref="Jwks"/>.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The discovery document's URL, when it is not <see cref="Authority"/> + <c>/.well-known/openid-configuration</c>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>
    /// The handler for discovery and key requests: one that trusts Sigil's CA bundle for the issuer's own certificate
    /// (the issuer serves an SVID, which the system's roots do not know).
    /// </summary>
    public HttpMessageHandler? BackchannelHttpHandler { get; set; }

    /// <summary>
    /// The audiences accepted: this service's SPIFFE ID (what its callers name as <c>aud</c>). Required: a token for
    /// another service must never be accepted here. Sigil issues a JWT-SVID for a SPIFFE ID audience only to callers the
    /// receiver accepts (its <c>acceptsFrom</c>), but one for any other audience (a URL) to any identity that asks; so a
    /// JWT-SVID scheme with a URL audience must also set <see cref="Authorizer"/> to the callers it accepts.
    /// </summary>
    public IList<string> ValidAudiences { get; } = [];

    /// <summary>
    /// The expected <c>iss</c> (Sigil's <c>--issuer-url</c>). Checked when set; with <see cref="Authority"/> the
    /// discovery document's issuer is expected unless this is set.
    /// </summary>
    public string? ValidIssuer { get; set; }

    /// <summary>
    /// How often the issuer's keys are fetched again (default 5 minutes, the least Microsoft.IdentityModel allows).
    /// Keep it within <c>--bundle-propagation</c> (default 10 minutes): a new key is published that long before it signs.
    /// With <see cref="Jwks"/> the mounted folder is followed instead, and this is unused.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How much clock difference is tolerated on <c>exp</c>, <c>nbf</c> and <c>iat</c> (default 1 minute).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Which callers (<c>sub</c>) are accepted. Default: any SPIFFE ID, which only a SPIFFE ID audience allows for
    /// JWT-SVIDs (Sigil asks the receiver's consent for those alone).
    /// </summary>
    public SpiffeIdAuthorizer Authorizer { get; set; } = SpiffeIdAuthorizer.Any();

    /// <summary>
    /// Whether a token's <c>cnf</c> may be matched by a client certificate forwarded in a request header (ASP.NET's
    /// CertificateForwarding middleware). Default false: only this connection's own TLS client certificate, since a
    /// certificate is public and a stolen token with a forged header would otherwise pass.
    /// </summary>
    public bool TrustForwardedClientCertificate { get; set; }

    internal SigilJwtKind Kind { get; set; }

    internal bool UsesIssuer => Authority is not null || MetadataAddress is not null;

    internal List<string> Problems(string? scheme)
    {
        var problems = new List<string>();
        var prefix = $"Sigil {(Kind == SigilJwtKind.AccessToken ? "access token" : "JWT-SVID")} scheme '{scheme}': ";
        if (ValidAudiences.Count == 0 || ValidAudiences.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add(prefix + "set ValidAudiences to this service's SPIFFE ID (the aud its callers' tokens carry).");
        }
        if (Jwks is null && !UsesIssuer)
        {
            problems.Add(prefix + "set Jwks (a JwksSource on the mounted sigil-trust-bundle ConfigMap) or Authority (Sigil's --issuer-url).");
        }
        if (Jwks is not null && UsesIssuer)
        {
            problems.Add(prefix + "set Jwks or Authority/MetadataAddress, not both: the keys come from one place.");
        }
        foreach (var url in new[] { Authority, MetadataAddress })
        {
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add(prefix + $"'{url}' is not an https URL; Sigil's issuer serves HTTPS only.");
            }
        }
        if (UsesIssuer && KeyRefreshInterval < TimeSpan.FromMinutes(5))
        {
            problems.Add(prefix + $"KeyRefreshInterval is {KeyRefreshInterval}; Microsoft.IdentityModel refreshes discovery at most every 5 minutes. Use Jwks (the mounted folder) for faster pick-up.");
        }
        if (ClockSkew < TimeSpan.Zero)
        {
            problems.Add(prefix + "ClockSkew must not be negative.");
        }
        if (Authorizer is null)
        {
            problems.Add(prefix + "Authorizer must not be null (SpiffeIdAuthorizer.Any() accepts every caller).");
        }
        else if (Kind == SigilJwtKind.JwtSvid && Authorizer.AllowsAny
            && ValidAudiences.FirstOrDefault(a => !string.IsNullOrWhiteSpace(a) && !a.StartsWith("spiffe://", StringComparison.Ordinal)) is { } open)
        {
            problems.Add(prefix + $"the audience '{open}' is not a SPIFFE ID, and Sigil issues JWT-SVIDs for such audiences to any identity that asks: "
                + "set Authorizer to the callers this service accepts, or use this service's SPIFFE ID as the audience (Sigil then asks its acceptsFrom).");
        }
        return problems;
    }
}

/// <summary>Which kind of Sigil JWT a scheme accepts; told apart by <c>typ</c>.</summary>
internal enum SigilJwtKind
{
    /// <summary>A JWT-SVID: <c>typ: JWT</c> (or <c>JOSE</c>, which the SPIFFE specification also allows).</summary>
    JwtSvid,

    /// <summary>An RFC 9068 access token: <c>typ: at+jwt</c>.</summary>
    AccessToken,
}
