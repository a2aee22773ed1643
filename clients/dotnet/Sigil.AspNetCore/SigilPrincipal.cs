using System.Security.Claims;
using Sigil.Client;

namespace Sigil.AspNetCore;

/// <summary>The user every Sigil handler produces: named by the caller's SPIFFE ID.</summary>
internal static class SigilPrincipal
{
    public static ClaimsPrincipal For(SpiffeId caller, string scheme, IEnumerable<Claim>? more = null)
    {
        var id = caller.ToString();
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, id),
            new(SigilAuthenticationDefaults.SpiffeIdClaim, id),
        };
        claims.AddRange(more ?? []);
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
