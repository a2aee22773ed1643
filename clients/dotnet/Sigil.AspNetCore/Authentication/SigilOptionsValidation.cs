using Microsoft.Extensions.Options;

namespace Sigil.AspNetCore;

/// <summary>Checks each Sigil scheme's options when the host starts, with a message that says what to set.</summary>
internal sealed class SigilOptionsValidation :
    IValidateOptions<SigilApiKeyOptions>, IValidateOptions<SigilHmacOptions>, IValidateOptions<SigilJwtOptions>
{
    public ValidateOptionsResult Validate(string? name, SigilApiKeyOptions options) =>
        options.Verifiers is null
            ? ValidateOptionsResult.Fail($"Sigil API key scheme '{name}': set Verifiers to a VerifierKeysSource on the folder where this service's <name>-verifiers Secret is mounted.")
            : ValidateOptionsResult.Success;

    public ValidateOptionsResult Validate(string? name, SigilHmacOptions options)
    {
        var problems = new List<string>();
        if (options.Verifiers is null)
        {
            problems.Add($"Sigil HMAC scheme '{name}': set Verifiers to a VerifierKeysSource on the folder where this service's <name>-verifiers Secret is mounted.");
        }
        if (options.ReplayWindow <= TimeSpan.Zero)
        {
            problems.Add($"Sigil HMAC scheme '{name}': ReplayWindow must be positive (it is {options.ReplayWindow}).");
        }
        if (options.MaxBodySize < 0)
        {
            problems.Add($"Sigil HMAC scheme '{name}': MaxBodySize must not be negative.");
        }
        if (options.ReplayCacheSize < 1)
        {
            problems.Add($"Sigil HMAC scheme '{name}': ReplayCacheSize must be at least 1.");
        }
        if (options.ReplayCacheSizePerKey < 1)
        {
            problems.Add($"Sigil HMAC scheme '{name}': ReplayCacheSizePerKey must be at least 1.");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public ValidateOptionsResult Validate(string? name, SigilJwtOptions options) => options.Problems(name) is { Count: > 0 } problems
        ? ValidateOptionsResult.Fail(problems)
        : ValidateOptionsResult.Success;
}
