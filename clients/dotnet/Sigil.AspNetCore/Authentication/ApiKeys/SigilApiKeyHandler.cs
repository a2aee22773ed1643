using System.Text.Encodings.Web;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sigil.Client.ApiKeys;

namespace Sigil.AspNetCore;

/// <summary>
/// <c>Authorization: Bearer sgl_&lt;keyId&gt;_&lt;secret&gt;</c> checked against <c>keys.json</c> (constant-time,
/// <c>notAfter</c> honoured). A Bearer value that is not shaped like a Sigil key is left to other schemes (a JWT).
/// </summary>
internal sealed class SigilApiKeyHandler(IOptionsMonitor<SigilApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SigilApiKeyOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!BearerToken.TryRead(Request, out var presented) || !ApiKeyFormat.TryParse(presented, out var keyId, out _))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var keys = Options.Verifiers!.Current;
        var now = (Options.TimeProvider ?? TimeProvider.System).GetUtcNow();
        var verified = keys.VerifyBearer(presented, now);
        if (verified is null)
        {
            var reason = Refusal(keys, keyId, now);
            Logger.LogInformation("Scheme {Scheme} refused API key {KeyId}: {Reason}", Scheme.Name, keyId, reason);
            return Task.FromResult(AuthenticateResult.Fail($"API key {keyId} is not accepted: {reason}"));
        }
        var principal = SigilPrincipal.For(verified.Caller, Scheme.Name, [new Claim(SigilAuthenticationDefaults.KeyIdClaim, verified.Key.KeyId)]);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    // Only for the log and the failure message: the decision was made, in constant time, by VerifyBearer.
    internal static string Refusal(VerifierKeys keys, string keyId, DateTimeOffset now)
    {
        var entries = keys.Keys.Where(k => k.KeyId == keyId).ToList();
        if (entries.Count == 0)
        {
            return "no such key id in keys.json";
        }
        if (entries.All(k => !k.IsValidAt(now)))
        {
            return $"the key was retired at {entries.Max(k => k.NotAfter):O}";
        }
        return "the key does not match";
    }
}

/// <summary>The value of <c>Authorization: Bearer …</c>.</summary>
internal static class BearerToken
{
    public static bool TryRead(Microsoft.AspNetCore.Http.HttpRequest request, out string token)
    {
        token = "";
        var header = request.Headers[HeaderNames.Authorization];
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        token = value["Bearer ".Length..].Trim();
        return token.Length > 0;
    }
}
