using Sigil.Identity;

namespace Sigil.Reconciliation.Policies;

/// <summary>The certificate found in an identity's Secret, as read by the gather step.</summary>
/// <param name="Facts">Null when tls.crt is missing or unparsable.</param>
/// <param name="KeyMatchesCertificate">Whether tls.key is the private key of tls.crt.</param>
/// <param name="RotationRequest">The sigil.dev/rotate value this certificate was issued for, kept on the Secret
/// so that a wiped status cannot trigger a second rotation for the same value.</param>
/// <param name="KeyReadableEverywhere">False when tls.key is PKCS#8 v2, as earlier Sigil versions wrote Ed25519 keys.</param>
internal sealed record StoredCertificate(CertificateFacts? Facts, bool HasKey, bool KeyMatchesCertificate, bool HasTrustBundle, string? RotationRequest = null,
    bool KeyReadableEverywhere = true);

/// <summary>Everything the reissue decision looks at; gathered first, so the decision is a pure function.</summary>
internal sealed record CertificateInput(
    SpiffeId SpiffeId,
    DesiredCertificate Desired,
    StoredCertificate? Stored,
    string CurrentCaKeyId,
    DateTimeOffset CaNotAfter,
    string? RotateRequest,
    DateTimeOffset Now);

internal sealed record ReissueDecision(string Reason, string Message);

/// <summary>Why a certificate must be (re)issued; these become log fields and event messages.</summary>
internal static class ReissueReasons
{
    public const string SecretMissing = nameof(SecretMissing);
    public const string SecretIncomplete = nameof(SecretIncomplete);
    public const string KeyMismatch = nameof(KeyMismatch);
    public const string KeyEncodingOutdated = nameof(KeyEncodingOutdated);
    public const string SpiffeIdChanged = nameof(SpiffeIdChanged);
    public const string DnsNamesChanged = nameof(DnsNamesChanged);
    public const string KeyAlgorithmChanged = nameof(KeyAlgorithmChanged);
    public const string TtlChanged = nameof(TtlChanged);
    public const string IssuerChanged = nameof(IssuerChanged);
    public const string ManualRotation = nameof(ManualRotation);
    public const string DueForRenewal = nameof(DueForRenewal);
}

/// <summary>
/// Decides whether to (re)issue, as a chain of checks evaluated in order, stopping at the first that fails
/// (cert-manager's policies.Chain). Each check returns a message when it fails, null when it passes.
/// </summary>
internal static class ReissuePolicy
{
    private static readonly TimeSpan TtlTolerance = TimeSpan.FromMinutes(1);

    private static readonly (string Reason, Func<CertificateInput, string?> Check)[] Chain =
    [
        // make sure the Secret exists
        (ReissueReasons.SecretMissing, i => i.Stored is null ? "the Secret does not exist" : null),
        // make sure it holds a parsable certificate, a key and the trust bundle
        (ReissueReasons.SecretIncomplete, i => i.Stored!.Facts is null ? "tls.crt is missing or not a certificate"
            : !i.Stored.HasKey ? "tls.key is missing" : !i.Stored.HasTrustBundle ? "ca.crt is missing" : null),
        // the key must belong to the certificate
        (ReissueReasons.KeyMismatch, i => i.Stored!.KeyMatchesCertificate ? null : "tls.key is not the key of tls.crt"),
        // a key every consumer can read (earlier versions wrote Ed25519 keys as PKCS#8 v2); reissued once, since new keys are v1
        (ReissueReasons.KeyEncodingOutdated, i => i.Stored!.KeyReadableEverywhere ? null : "tls.key is PKCS#8 v2, which OpenSSL 3.0 cannot read"),
        // exactly one URI SAN, the identity's SPIFFE ID
        (ReissueReasons.SpiffeIdChanged, i => i.Stored!.Facts!.UriNames.SequenceEqual([i.SpiffeId.ToString()]) ? null
            : $"the certificate names {string.Join(",", i.Stored.Facts.UriNames)}, not {i.SpiffeId}"),
        // DNS SANs as in spec.x509.dnsNames
        (ReissueReasons.DnsNamesChanged, i => i.Stored!.Facts!.DnsNames.Order().SequenceEqual(i.Desired.DnsNames.Order()) ? null
            : "spec.x509.dnsNames changed"),
        // key algorithm as in spec.x509.keyAlgorithm
        (ReissueReasons.KeyAlgorithmChanged, i => i.Stored!.Facts!.KeyAlgorithm == i.Desired.KeyAlgorithm ? null
            : $"the key is {i.Stored.Facts.KeyAlgorithm?.ToString() ?? "of an unknown type"}, spec asks for {i.Desired.KeyAlgorithm}"),
        // signed by the CA Sigil signs with now
        (ReissueReasons.IssuerChanged, i => i.Stored!.Facts!.IssuerKeyId == i.CurrentCaKeyId ? null : "the certificate was not signed by the current CA"),
        // validity as in spec.x509.ttl (unless the CA's own expiry cut it short)
        (ReissueReasons.TtlChanged, i => TtlMatches(i) ? null : $"spec.x509.ttl is {Durations.Format(i.Desired.Ttl)}"),
        // a new sigil.dev/rotate value asks for one rotation
        (ReissueReasons.ManualRotation, i => !string.IsNullOrEmpty(i.RotateRequest) && i.RotateRequest != i.Stored!.RotationRequest
            ? $"sigil.dev/rotate was set to \"{i.RotateRequest}\"" : null),
        // renew at notAfter - renewBefore (minus jitter), unless the CA's own expiry is the limit: a new certificate
        // could not last longer, and reissuing would repeat on every pass
        (ReissueReasons.DueForRenewal, i => i.Now >= RenewalTime(i) && !CappedByCa(i.Stored!.Facts!, i.CaNotAfter) ? $"renewal was due at {RenewalTime(i):u}" : null),
    ];

    public static ReissueDecision? Evaluate(CertificateInput input)
    {
        foreach (var (reason, check) in Chain)
        {
            if (check(input) is { } message)
            {
                return new ReissueDecision(reason, message);
            }
        }
        return null;
    }

    public static DateTimeOffset RenewalTime(CertificateInput i) =>
        RenewalSchedule.RenewalTime(i.Stored!.Facts!.NotAfter, i.Desired.RenewBefore, i.Stored.Facts.SerialNumber);

    /// <summary>Whether the certificate already ends when the CA does (it was cut short to the CA's notAfter).</summary>
    public static bool CappedByCa(CertificateFacts facts, DateTimeOffset caNotAfter) => facts.NotAfter >= caNotAfter - TimeSpan.FromSeconds(1);

    private static bool TtlMatches(CertificateInput i)
    {
        var facts = i.Stored!.Facts!;
        var issued = facts.NotAfter - facts.NotBefore - SvidIssuer.ClockSkewAllowance;
        return CappedByCa(facts, i.CaNotAfter) || (issued - i.Desired.Ttl).Duration() <= TtlTolerance;
    }
}
