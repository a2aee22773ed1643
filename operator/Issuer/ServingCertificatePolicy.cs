using Sigil.Identity;

namespace Sigil.Issuer;

/// <summary>Why the issuer's own certificate is (re)issued; log fields.</summary>
internal static class ServingCertificateReasons
{
    public const string First = nameof(First);
    public const string SignerChanged = nameof(SignerChanged);
    public const string DueForRenewal = nameof(DueForRenewal);
}

/// <summary>
/// Whether the issuer's certificate must be replaced, like any other SVID: at two thirds of the lifetime it got, and at
/// once when another CA signs (after a rotation the old CA leaves the bundles once every leaf has moved, and clients
/// would stop trusting a certificate it signed).
/// </summary>
internal static class ServingCertificatePolicy
{
    /// <summary>The lifetime asked for; the CA may cut it short.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <returns>The reason to issue, or null while the current one stays.</returns>
    public static string? Due(CertificateFacts? current, string activeSignerKeyId, DateTimeOffset activeSignerNotAfter, DateTimeOffset now)
    {
        if (current is null)
        {
            return ServingCertificateReasons.First;
        }
        if (current.IssuerKeyId != activeSignerKeyId)
        {
            return ServingCertificateReasons.SignerChanged;
        }
        // A certificate the CA cut short gains nothing from a renewal by the same CA: it would only shrink, again and again.
        return now >= RenewalTime(current) && current.NotAfter < activeSignerNotAfter ? ServingCertificateReasons.DueForRenewal : null;
    }

    public static DateTimeOffset RenewalTime(CertificateFacts current) => current.NotBefore + (current.NotAfter - current.NotBefore) * 2 / 3;
}
