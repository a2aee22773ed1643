using Sigil.Api;

namespace Sigil.Credentials;

/// <summary>One Secret a credential of an identity writes, and the spec field that names it (for messages).</summary>
internal sealed record SecretClaim(string SecretName, string Field);

/// <summary>
/// One Secret, one credential. Two credentials writing the same Secret would overwrite each other on every pass (a
/// write war), and an identity naming another's Secret would take it over; so the later claim loses, decided from the
/// cache of identities alone, never from who happened to write first.
/// </summary>
internal static class SecretClaimPolicy
{
    private const string VerifierField = "its verifier Secret (keys.json)";

    /// <summary>Every Secret the identity's credentials write. &lt;name&gt;-verifiers always belongs to identity &lt;name&gt;: it becomes a receiver by adding acceptsFrom, and then must not find the name taken.</summary>
    public static IReadOnlyList<SecretClaim> ClaimsOf(ServiceIdentity identity)
    {
        var claims = new List<SecretClaim>();
        if (identity.Spec.X509 is { } x509)
        {
            claims.Add(new SecretClaim(X509SecretName(identity, x509), "spec.x509.secretName"));
        }
        foreach (var key in identity.Spec.ApiKeys ?? [])
        {
            claims.Add(new SecretClaim(ApiKeySecretName(identity, key), $"spec.apiKeys[{key.Name}].secretName"));
        }
        if (identity.Spec.Jwt is { } jwt)
        {
            claims.Add(new SecretClaim(JwtSecretName(identity, jwt), "spec.jwt.secretName"));
        }
        if (identity.Spec.OAuth2?.ClientSecret is { } clientSecret)
        {
            claims.Add(new SecretClaim(OAuth2SecretName(identity, clientSecret), "spec.oauth2.clientSecret.secretName"));
        }
        claims.Add(new SecretClaim(identity.Metadata.Name + ApiKeys.ApiKeyRendering.VerifierSuffix, VerifierField));
        return claims;
    }

    public static string X509SecretName(ServiceIdentity identity, X509Spec x509) =>
        string.IsNullOrEmpty(x509.SecretName) ? $"{identity.Metadata.Name}-svid" : x509.SecretName;

    public static string JwtSecretName(ServiceIdentity identity, JwtSpec jwt) =>
        string.IsNullOrEmpty(jwt.SecretName) ? $"{identity.Metadata.Name}-jwt" : jwt.SecretName;

    /// <summary>Where the client secret lives; the token endpoint looks for the verifier annotation on this Secret only.</summary>
    public static string OAuth2SecretName(ServiceIdentity identity, OAuth2ClientSecretSpec clientSecret) =>
        string.IsNullOrEmpty(clientSecret.SecretName) ? $"{identity.Metadata.Name}-oauth2" : clientSecret.SecretName;

    public static string ApiKeySecretName(ServiceIdentity identity, ApiKeySpec key) =>
        string.IsNullOrEmpty(key.SecretName) ? $"{identity.Metadata.Name}-{key.Name}-apikey" : key.SecretName;

    /// <summary>
    /// Why this identity may write none of its Secrets, or null when it may: two of its own credentials name one Secret,
    /// or an older identity of its namespace (by creationTimestamp, then name) already claims one of them.
    /// </summary>
    /// <param name="others">Identities that may share a Secret name with it (any namespace; itself is skipped).</param>
    public static string? Conflict(ServiceIdentity identity, IEnumerable<ServiceIdentity> others)
    {
        var claims = ClaimsOf(identity);
        for (var j = 1; j < claims.Count; j++)
        {
            for (var i = 0; i < j; i++)
            {
                if (claims[i].SecretName != claims[j].SecretName)
                {
                    continue;
                }
                // The verifier claim is always last, so when it is involved, the user's field is claims[i].
                return claims[j].Field == VerifierField
                    ? $"{claims[i].Field} \"{claims[i].SecretName}\" is the name of this identity's verifier Secret (keys.json): choose another name"
                    : $"{claims[j].Field} \"{claims[j].SecretName}\" is also {claims[i].Field}: give each credential a Secret of its own";
            }
        }
        var ns = identity.Metadata.NamespaceProperty;
        var older = others
            .Where(o => o.Metadata.NamespaceProperty == ns && o.Metadata.Name != identity.Metadata.Name && Older(o, identity))
            .OrderBy(o => o.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(o => o.Metadata.Name, StringComparer.Ordinal);
        foreach (var other in older)
        {
            foreach (var theirs in ClaimsOf(other))
            {
                if (claims.FirstOrDefault(c => c.SecretName == theirs.SecretName) is { } mine)
                {
                    return $"{mine.Field} \"{mine.SecretName}\" is already {(theirs.Field == VerifierField ? "the verifier Secret" : theirs.Field)} of ServiceIdentity "
                        + $"{other.Metadata.Name}, which is older: choose another name";
                }
            }
        }
        return null;
    }

    /// <summary>Creation order, then name: every pass, and every replica, picks the same winner.</summary>
    private static bool Older(ServiceIdentity a, ServiceIdentity b)
    {
        var (ta, tb) = (a.Metadata.CreationTimestamp ?? DateTime.MinValue, b.Metadata.CreationTimestamp ?? DateTime.MinValue);
        return ta != tb ? ta < tb : string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name) < 0;
    }
}
