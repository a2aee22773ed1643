using Microsoft.AspNetCore.Authentication;
using Sigil.Client.ApiKeys;

namespace Sigil.AspNetCore;

/// <summary>Options of <c>AddSigilApiKey</c>: where the receiver's verifier keys are mounted.</summary>
public sealed class SigilApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The receiver's mounted <c>&lt;name&gt;-verifiers</c> Secret (<c>keys.json</c>), reloaded as Sigil rotates keys.
    /// Required. The source stays owned by the caller.
    /// </summary>
    public VerifierKeysSource? Verifiers { get; set; }
}
