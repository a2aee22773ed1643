using System.Security.Cryptography.X509Certificates;

namespace Sigil.Tests.Support;

/// <summary>Checks a leaf as a TLS peer would (.NET's chain builder, a consumer Sigil did not write) against a bundle of roots.</summary>
internal static class TrustChecks
{
    public static X509Certificate2Collection Pem(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return collection;
    }

    /// <summary>Null when <paramref name="leaf"/> chains to one of <paramref name="roots"/> at <paramref name="at"/> (default now), else why not.</summary>
    public static string? WhyNotTrusted(X509Certificate2 leaf, X509Certificate2Collection roots, DateTimeOffset? at = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
        }
        return chain.Build(leaf) ? null : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }
}
