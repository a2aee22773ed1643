using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>The mTLS peer's SPIFFE ID as the user: taken from the Sigil handshake's check, or checked here.</summary>
internal sealed class SigilClientCertificateHandler(IOptionsMonitor<SigilClientCertificateOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SigilClientCertificateOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        using var certificate = await TlsPeerCertificate.GetAsync(Context, Options.TrustForwardedClientCertificate);
        if (certificate is null)
        {
            return AuthenticateResult.NoResult();
        }
        var peer = Context.Features.Get<SigilPeerFeature>();
        if (peer is not null && peer.CertificateDer.AsSpan().SequenceEqual(certificate.RawData))
        {
            return Success(peer.Id);
        }
        var svid = Options.Svid ?? Context.RequestServices.GetService<X509SvidSource>();
        if (svid is null)
        {
            Logger.LogWarning("Scheme {Scheme}: a client certificate reached this handler without a Sigil handshake checking it, and there is no trust bundle to check it against: set SigilClientCertificateOptions.Svid or serve with UseSigilMtls", Scheme.Name);
            return AuthenticateResult.Fail("the client certificate was not checked against a trust bundle");
        }
        var result = X509SvidValidator.Validate(certificate, [], svid.Current.Bundle, Options.Authorizer, (Options.TimeProvider ?? TimeProvider.System).GetUtcNow());
        if (!result.Succeeded)
        {
            Logger.LogInformation("Scheme {Scheme} refused a client certificate (serial {Serial}): {Problem}", Scheme.Name, certificate.GetSerialNumberString().ToLowerInvariant(), result.Problem);
            return AuthenticateResult.Fail(result.Problem!);
        }
        return Success(result.Id!);
    }

    private AuthenticateResult Success(Client.SpiffeId id) =>
        AuthenticateResult.Success(new AuthenticationTicket(SigilPrincipal.For(id, Scheme.Name), Scheme.Name));
}
