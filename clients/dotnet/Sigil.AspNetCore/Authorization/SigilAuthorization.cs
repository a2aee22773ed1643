using Microsoft.AspNetCore.Authorization;
using Sigil.Client;

namespace Sigil.AspNetCore;

/// <summary>Authorization on what Sigil's schemes put in the user: the caller's SPIFFE ID and an access token's scopes.</summary>
public static class SigilAuthorization
{
    /// <summary>Requires every one of <paramref name="scopes"/> among the user's <c>scope</c> claims (access tokens).</summary>
    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder policy, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (scopes.Length == 0 || scopes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("RequireScope needs at least one non-empty scope.", nameof(scopes));
        }
        return policy.RequireAssertion(context => scopes.All(scope =>
            context.User.HasClaim(SigilAuthenticationDefaults.ScopeClaim, scope)));
    }

    /// <summary>Requires a caller whose SPIFFE ID <paramref name="authorizer"/> allows.</summary>
    public static AuthorizationPolicyBuilder RequireSpiffeId(this AuthorizationPolicyBuilder policy, SpiffeIdAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(authorizer);
        return policy.RequireAssertion(context =>
            SpiffeId.TryParse(context.User.FindFirst(SigilAuthenticationDefaults.SpiffeIdClaim)?.Value, out var id) && authorizer.IsAuthorized(id));
    }
}
