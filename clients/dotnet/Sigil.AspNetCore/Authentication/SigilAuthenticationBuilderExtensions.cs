using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Sigil.AspNetCore;

/// <summary>
/// Authentication schemes for each credential Sigil issues. Each makes the caller's SPIFFE ID the user's name
/// (<c>User.Identity.Name</c>, and the <c>spiffe_id</c> claim); options are checked when the host starts.
/// </summary>
public static class SigilAuthenticationBuilderExtensions
{
    /// <summary>
    /// The mTLS client's SPIFFE ID, as <see cref="SigilKestrelExtensions"/> checked it in the handshake (or checked here
    /// against <see cref="SigilClientCertificateOptions.Svid"/>'s bundle when the certificate arrived otherwise).
    /// No client certificate: no result, so another scheme can authenticate the request.
    /// </summary>
    public static AuthenticationBuilder AddSigilClientCertificate(this AuthenticationBuilder builder,
        string scheme = SigilAuthenticationDefaults.ClientCertificateScheme, Action<SigilClientCertificateOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddScheme<SigilClientCertificateOptions, SigilClientCertificateHandler>(scheme, configure);
    }

    /// <summary>
    /// <c>Authorization: Bearer sgl_&lt;keyId&gt;_&lt;secret&gt;</c> checked against the mounted <c>keys.json</c>
    /// (<see cref="SigilApiKeyOptions.Verifiers"/>). A Bearer token that is not a Sigil key gives no result, so a JWT
    /// scheme next to this one can take it.
    /// </summary>
    public static AuthenticationBuilder AddSigilApiKey(this AuthenticationBuilder builder, Action<SigilApiKeyOptions> configure,
        string scheme = SigilAuthenticationDefaults.ApiKeyScheme)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddValidation<SigilApiKeyOptions>(builder, scheme);
        return builder.AddScheme<SigilApiKeyOptions, SigilApiKeyHandler>(scheme, configure);
    }

    /// <summary>
    /// <c>Authorization: Sigil-HMAC-SHA256 keyId=…, timestamp=…, signature=…</c> checked against the mounted
    /// <c>keys.json</c>: the signature over the method, the request target as received, the timestamp and the body;
    /// the timestamp within <see cref="SigilHmacOptions.ReplayWindow"/>; each signature accepted once (per process).
    /// </summary>
    public static AuthenticationBuilder AddSigilHmac(this AuthenticationBuilder builder, Action<SigilHmacOptions> configure,
        string scheme = SigilAuthenticationDefaults.HmacScheme)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddValidation<SigilHmacOptions>(builder, scheme);
        return builder.AddScheme<SigilHmacOptions, SigilHmacHandler>(scheme, configure);
    }

    /// <summary>
    /// A JWT-SVID (<c>typ: JWT</c>) as <c>Authorization: Bearer</c>, on JwtBearer: signed by a key of Sigil's JWKS,
    /// <c>aud</c> one of <see cref="SigilJwtOptions.ValidAudiences"/>, not expired, <c>sub</c> a SPIFFE ID (the user).
    /// An access token (<c>typ: at+jwt</c>) is refused here.
    /// </summary>
    public static AuthenticationBuilder AddSigilJwtSvid(this AuthenticationBuilder builder, Action<SigilJwtOptions> configure,
        string scheme = SigilAuthenticationDefaults.JwtSvidScheme) =>
        AddSigilJwt(builder, configure, scheme, SigilJwtKind.JwtSvid);

    /// <summary>
    /// An access token from Sigil's token endpoint (RFC 9068, <c>typ: at+jwt</c>) as <c>Authorization: Bearer</c>,
    /// checked as <see cref="AddSigilJwtSvid"/> does, and, when it is bound to a certificate (<c>cnf.x5t#S256</c>),
    /// only over a connection presenting that client certificate. Its scopes become <c>scope</c> claims (see
    /// <see cref="SigilAuthorization.RequireScope"/>). A JWT-SVID is refused here.
    /// </summary>
    public static AuthenticationBuilder AddSigilAccessToken(this AuthenticationBuilder builder, Action<SigilJwtOptions> configure,
        string scheme = SigilAuthenticationDefaults.AccessTokenScheme) =>
        AddSigilJwt(builder, configure, scheme, SigilJwtKind.AccessToken);

    private static AuthenticationBuilder AddSigilJwt(AuthenticationBuilder builder, Action<SigilJwtOptions> configure, string scheme, SigilJwtKind kind)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SigilJwtOptions>(scheme).Configure(o => o.Kind = kind).Configure(configure);
        AddValidation<SigilJwtOptions>(builder, scheme);
        builder.Services.AddOptions<JwtBearerOptions>(scheme).Configure<IOptionsMonitor<SigilJwtOptions>, ILoggerFactory>((jwt, monitor, loggers) =>
        {
            var sigil = monitor.Get(scheme);
            var logger = loggers.CreateLogger(typeof(SigilJwtValidation).FullName!);
            jwt.MapInboundClaims = false;
            jwt.Authority = sigil.Authority;
            jwt.MetadataAddress = sigil.MetadataAddress!;
            jwt.BackchannelHttpHandler = sigil.BackchannelHttpHandler;
            if (sigil.UsesIssuer && sigil.KeyRefreshInterval >= TimeSpan.FromMinutes(5))
            {
                jwt.AutomaticRefreshInterval = sigil.KeyRefreshInterval;
            }
            jwt.RefreshOnIssuerKeyNotFound = true;
            // How soon an unknown kid may fetch the keys again: often enough for a new key, seldom enough that made-up kids cost nothing.
            jwt.RefreshInterval = TimeSpan.FromSeconds(30);
            var mounted = sigil.Jwks is { } jwks ? new MountedSigningKeys(jwks, TimeProvider.System) : null;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudiences = [.. sigil.ValidAudiences],
                ValidateAudience = true,
                ValidIssuer = sigil.ValidIssuer,
                ValidateIssuer = sigil.ValidIssuer is not null || sigil.UsesIssuer,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = sigil.ClockSkew,
                ValidAlgorithms = SigilJwtValidation.Algorithms,
                TypeValidator = SigilJwtValidation.TypeValidator(kind),
                NameClaimType = "sub",
                IssuerSigningKeyResolver = mounted is null ? null : (_, _, kid, _) => mounted.Resolve(kid),
            };
            var events = jwt.Events ?? new JwtBearerEvents();
            var received = events.OnMessageReceived;
            events.OnMessageReceived = context =>
            {
                // An API key is not a JWT: leave it to the API key scheme rather than fail here.
                if (BearerToken.TryRead(context.Request, out var token) && token.StartsWith("sgl_", StringComparison.Ordinal))
                {
                    context.NoResult();
                    return Task.CompletedTask;
                }
                return received(context);
            };
            var validated = events.OnTokenValidated;
            events.OnTokenValidated = async context =>
            {
                await SigilJwtValidation.OnTokenValidatedAsync(context, sigil, logger);
                if (context.Result is null)
                {
                    await validated(context);
                }
            };
            jwt.Events = events;
        });
        return builder.AddJwtBearer(scheme, _ => { });
    }

    private static void AddValidation<TOptions>(AuthenticationBuilder builder, string scheme) where TOptions : class
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IValidateOptions<TOptions>), typeof(SigilOptionsValidation)));
        builder.Services.AddOptions<TOptions>(scheme).ValidateOnStart();
    }
}
