using System.Text.RegularExpressions;
using Sigil.Api;

namespace Sigil.Credentials.Jwt;

/// <summary>One of spec.jwt.audiences: the token named <see cref="Name"/>, for <see cref="Audience"/> as the spec wrote it.</summary>
internal sealed record DesiredAudience(string Name, string Audience)
{
    public const string KeySuffix = ".jwt";

    /// <summary>The token's key in the Secret.</summary>
    public string DataKey => Name + KeySuffix;
}

/// <summary>A ServiceIdentity's jwt spec with defaults applied and every rule checked: which tokens to keep, and for how long each is valid.</summary>
internal sealed partial record DesiredJwt(string SecretName, TimeSpan Ttl, IReadOnlyList<DesiredAudience> Audiences)
{
    public static readonly TimeSpan MinTtl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);

    /// <summary>
    /// Defaults and validates spec.jwt (pure). <c>Invalid</c> is a one-line message saying what to change; it stops only
    /// the JWT-SVIDs (the CRD's rules reject these on a real cluster, but the operator must not trust that they ran).
    /// </summary>
    /// <param name="propagation">--bundle-propagation: a token renewed at half its life must reach every pod before it expires.</param>
    public static (DesiredJwt? Jwt, string? Invalid) FromSpec(ServiceIdentity identity, JwtSpec jwt, TimeSpan propagation = default)
    {
        var secretName = SecretClaimPolicy.JwtSecretName(identity, jwt);
        if (!DnsSubdomain().IsMatch(secretName) || secretName.Length > 253)
        {
            return (null, $"spec.jwt.secretName \"{secretName}\" is not a valid Secret name");
        }
        var ttl = DefaultTtl;
        if (!string.IsNullOrEmpty(jwt.Ttl) && !Durations.TryParse(jwt.Ttl, out ttl))
        {
            return (null, $"spec.jwt.ttl \"{jwt.Ttl}\" is not a duration: write it like 1h or 30m");
        }
        if (ttl < MinTtl || ttl > MaxTtl)
        {
            return (null, $"spec.jwt.ttl {Durations.Format(ttl)} is out of range: use between 10m and 24h");
        }
        if (ttl < 2 * propagation)
        {
            // Renewed at half its life (jittered earlier), the old token must outlast a kubelet that syncs the new one
            // --bundle-propagation later; a shorter ttl would leave pods holding an expired token.
            return (null, $"spec.jwt.ttl {Durations.Format(ttl)} is under twice --bundle-propagation ({Durations.Format(propagation)}): pods could hold an expired token; use ttl {Durations.Format(2 * propagation)} or more");
        }
        var audiences = new List<DesiredAudience>();
        foreach (var audience in jwt.Audiences ?? [])
        {
            if (!DataKeyName().IsMatch(audience.Name) || audience.Name.Length > 253 - DesiredAudience.KeySuffix.Length || (audience.Name + DesiredAudience.KeySuffix).StartsWith("..", StringComparison.Ordinal))
            {
                return (null, $"spec.jwt.audiences name \"{audience.Name}\" cannot name a Secret key: use letters, digits, '-', '_' and '.' (not starting with \"..\")");
            }
            if (audiences.Any(a => a.Name == audience.Name))
            {
                return (null, $"spec.jwt.audiences has more than one audience named \"{audience.Name}\": names must be unique");
            }
            if (AudienceProblem(audience.Audience) is { } problem)
            {
                return (null, $"spec.jwt.audiences[{audience.Name}].audience \"{audience.Audience}\" {problem}");
            }
            audiences.Add(new DesiredAudience(audience.Name, audience.Audience));
        }
        return (new DesiredJwt(secretName, ttl, audiences), null);
    }

    /// <summary>The trust domain of a SPIFFE ID this type accepted (spiffe://&lt;trust domain&gt;/...).</summary>
    public static string TrustDomainOf(string spiffeId) => spiffeId["spiffe://".Length..spiffeId.IndexOf('/', "spiffe://".Length)];

    private static string? AudienceProblem(string audience)
    {
        if (audience.StartsWith("spiffe://", StringComparison.Ordinal))
        {
            // Exactly the SPIFFE ID grammar (a lower-case trust domain, non-empty segments, no "." or ".."): a spelling a
            // verifier might normalise to a receiver's ID must never pass as "an ID no identity has" and skip consent.
            return audience.Length <= 2048 && SpiffeIdGrammar().IsMatch(audience) && !audience.Split('/').Skip(3).Any(s => s is "." or "..")
                ? null : "is not a valid SPIFFE ID: write it like spiffe://cluster.local/ns/<namespace>/sa/<service account>";
        }
        if (audience.StartsWith("https://", StringComparison.Ordinal))
        {
            return audience.Length <= 2048 && Uri.TryCreate(audience, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0
                ? null : "is not a valid https URL";
        }
        return DnsSubdomain().IsMatch(audience) && audience.Length <= 253
            ? null
            : "is neither a ServiceIdentity name, a spiffe:// ID nor an https:// URL";
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+$")]
    private static partial Regex DataKeyName();

    [GeneratedRegex(@"^spiffe://[a-z0-9._-]+(/[a-zA-Z0-9._-]+)+$")]
    private static partial Regex SpiffeIdGrammar();
}
