using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials.Jwt;

/// <summary>
/// What one audience of spec.jwt gets: a token with <see cref="Aud"/> as its aud, or none, with the reason
/// (<see cref="Reasons.NotAccepted"/> or <see cref="Reasons.Pending"/>) and a message that says what to change.
/// </summary>
internal sealed record AudienceVerdict(DesiredAudience Audience, string? Aud, string? Reason, string? Message)
{
    public bool Issue => Aud is not null;

    public static AudienceVerdict Issued(DesiredAudience audience, string aud) => new(audience, aud, null, null);
}

/// <summary>
/// May this identity hold a JWT-SVID for this audience, and what is its aud (pure)? A token for a receiver of this cluster
/// is a credential that receiver will honour, so the receiver consents through acceptsFrom, as for API keys. An audience
/// by name means a ServiceIdentity of the caller's own namespace only (so a name never reaches another namespace's
/// receiver), and its aud is that receiver's SPIFFE ID. A SPIFFE ID of this trust domain that some identity has needs
/// that identity's consent; one no identity has, another trust domain's, and https URLs are issued as asked: no
/// receiver of this cluster would take them for its own.
/// </summary>
internal static class JwtAudiencePolicy
{
    public static IReadOnlyList<AudienceVerdict> Decide(ServiceIdentity caller, DesiredJwt desired, IReadOnlyCollection<ServiceIdentity> all, string trustDomain)
    {
        var callerId = Consent.IdOf(caller, trustDomain);
        return [.. desired.Audiences.Select(a => Decide(caller, callerId, a, all, trustDomain))];
    }

    private static AudienceVerdict Decide(ServiceIdentity caller, SpiffeId callerId, DesiredAudience audience, IReadOnlyCollection<ServiceIdentity> all, string trustDomain)
    {
        var aud = audience.Audience;
        if (aud.StartsWith("https://", StringComparison.Ordinal))
        {
            return AudienceVerdict.Issued(audience, aud);
        }
        var bySpiffeId = aud.StartsWith("spiffe://", StringComparison.Ordinal);
        if (bySpiffeId && DesiredJwt.TrustDomainOf(aud) != trustDomain)
        {
            return AudienceVerdict.Issued(audience, aud);
        }
        var receivers = Consent.Receivers(aud, caller, all, trustDomain);
        if (receivers.FirstOrDefault(r => Consent.Accepts(r, callerId.ToString(), trustDomain, all)) is { } accepting)
        {
            return AudienceVerdict.Issued(audience, Consent.IdOf(accepting, trustDomain).ToString());
        }
        // No receiver yet is Pending: a SPIFFE ID of this trust domain belongs to a namespace that may not have created its
        // identity yet, and a token issued now would be valid there for up to a day whether or not it later accepts this caller.
        var refusal = Consent.Unaccepted($"jwt.audiences[{audience.Name}]", "token", aud, caller, callerId, receivers);
        return new AudienceVerdict(audience, null, refusal.Reason, refusal.Message);
    }
}
