using Sigil.Credentials.ApiKeys;

namespace Sigil.Credentials.OAuth2;

/// <summary>
/// Which client secrets the token endpoint should accept (pure): the current one and a staged next one (no notAfter),
/// and each earlier one until its rotation time + grace period, so the endpoint accepts a new secret before any pod
/// presents it and keeps accepting the old one while pods that have not seen the change still present it.
/// </summary>
internal static class ClientSecretVerifierPlan
{
    /// <param name="existing">What the annotation holds now.</param>
    /// <param name="rotatedAt">When <paramref name="current"/> was first presented: the moment every other secret was retired.</param>
    public static IReadOnlyList<ClientSecretVerifier> Desired(IReadOnlyList<ClientSecretVerifier> existing, ApiKeyMaterial? current, ApiKeyMaterial? next,
        DateTimeOffset rotatedAt, TimeSpan grace, DateTimeOffset now)
    {
        var live = new[] { current, next }.OfType<ApiKeyMaterial>().Select(k => Entry(k)).ToList();
        // No retired secret outlives the grace of the latest rotation: every earlier one ended sooner, and an entry someone
        // wrote into the annotation by hand (a far notAfter, or none) is cut to it rather than carried on forever.
        var cap = Api.Timestamps.ToSecond(rotatedAt + grace);
        var retired = existing
            .Where(e => live.All(l => l.KeyId != e.KeyId))
            .Select(e => e with { NotAfter = e.NotAfter is { } notAfter && notAfter < cap ? notAfter : cap })
            .Where(e => e.NotAfter > now);
        return [.. live, .. retired];
    }

    /// <summary>Whether <paramref name="entries"/> accept <paramref name="key"/> as a live (not retiring) secret.</summary>
    public static bool Holds(IReadOnlyList<ClientSecretVerifier> entries, ApiKeyMaterial key) => entries.Contains(Entry(key));

    /// <summary>When the first retiring secret stops being accepted (and should leave the annotation), if any.</summary>
    public static DateTimeOffset? NextExpiry(IReadOnlyList<ClientSecretVerifier> entries) => entries.Where(e => e.NotAfter is not null).Min(e => e.NotAfter);

    public static ClientSecretVerifier Entry(ApiKeyMaterial key) => new(key.KeyId, key.PresentedSha256, null);
}
