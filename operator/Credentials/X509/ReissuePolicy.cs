using Sigil.Identity;

namespace Sigil.Credentials.X509;

/// <summary>The certificate found in an identity's Secret, as read by the gather step.</summary>
/// <param name="Facts">Null when tls.crt is missing or unparsable.</param>
/// <param name="KeyMatchesCertificate">Whether tls.key is the private key of tls.crt.</param>
/// <param name="RotationRequest">The sigil.dev/rotate value this certificate was issued for, kept on the Secret
/// so that a wiped status cannot trigger a second rotation for the same value.</param>
/// <param name="KeyReadableEverywhere">False when tls.key is PKCS#8 v2, as earlier Sigil versions wrote Ed25519 keys.</param>
/// <param name="TrustBundleSha256">SHA-256 of ca.crt, so the CA manager can tell a stale bundle without keeping the data.</param>
internal sealed record StoredCertificate(CertificateFacts? Facts, bool HasKey, bool KeyMatchesCertificate, bool HasTrustBundle, string? RotationRequest = null,
    bool KeyReadableEverywhere = true, string? TrustBundleSha256 = null);

/// <summary>A CA that no longer signs: when it expires, and the window over which its leaves move to the active CA.</summary>
internal sealed record RetiringIssuer(DateTimeOffset NotAfter, DateTimeOffset MigrationStart, TimeSpan MigrationWindow);

/// <summary>The CAs as the reissue decision sees them: the one that signs now, and the retiring ones by key identifier.</summary>
internal sealed record IssuerView(string ActiveKeyId, DateTimeOffset ActiveNotAfter, IReadOnlyDictionary<string, RetiringIssuer> Retiring)
{
    public static IssuerView Single(string keyId, DateTimeOffset notAfter) => new(keyId, notAfter, new Dictionary<string, RetiringIssuer>());

    /// <summary>When the CA that signed <paramref name="facts"/> expires, if Sigil still trusts it.</summary>
    public DateTimeOffset? IssuerNotAfter(CertificateFacts facts) =>
        facts.IssuerKeyId == ActiveKeyId ? ActiveNotAfter : Retiring.TryGetValue(facts.IssuerKeyId, out var r) ? r.NotAfter : null;
}

/// <summary>Everything the reissue decision looks at; gathered first, so the decision is a pure function.</summary>
internal sealed record CertificateInput(
    SpiffeId SpiffeId,
    DesiredCertificate Desired,
    StoredCertificate? Stored,
    IssuerView Issuers,
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
    public const string CaRotated = nameof(CaRotated);
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
        // signed by a CA Sigil trusts (a replaced --ca-secret, a dropped CA: reissue at once)
        (ReissueReasons.IssuerChanged, i => i.Issuers.IssuerNotAfter(i.Stored!.Facts!) is null ? "the certificate was not signed by a CA Sigil trusts" : null),
        // signed by a retiring CA: move to the active one at this leaf's place in the migration window, spread so
        // that the API write rate stays bounded, and every leaf has moved before the retiring CA expires
        (ReissueReasons.CaRotated, i => MigrationTime(i.Stored!.Facts!, i.Issuers) is { } at && i.Now >= at ? $"the CA rotated; this certificate's move to the new CA was due at {at:u}" : null),
        // validity as in spec.x509.ttl (unless the CA's own expiry cut it short)
        (ReissueReasons.TtlChanged, i => TtlMatches(i) ? null : $"spec.x509.ttl is {Durations.Format(i.Desired.Ttl)}"),
        // a new sigil.dev/rotate value asks for one rotation
        (ReissueReasons.ManualRotation, i => !string.IsNullOrEmpty(i.RotateRequest) && i.RotateRequest != i.Stored!.RotationRequest
            ? $"sigil.dev/rotate was set to \"{i.RotateRequest}\"" : null),
        // renew at notAfter - renewBefore (minus jitter); a certificate its CA cut short renews at
        // notAfter - min(renewBefore, lifetime/3), unless the CA that signs now would cut it at the same time again
        // (reissuing could not make it last longer, and would repeat on every pass)
        (ReissueReasons.DueForRenewal, i => i.Now >= RenewalTime(i) && CouldLastLonger(i) ? $"renewal was due at {RenewalTime(i):u}" : null),
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

    public static DateTimeOffset RenewalTime(CertificateInput i) => RenewalTime(i.Stored!.Facts!, i.Desired);

    /// <summary>
    /// notAfter - renewBefore, jittered; for a certificate that got less than its ttl (its CA ran out first),
    /// notAfter - min(renewBefore, a third of the lifetime it got), so it is renewed well before it ends but not in a loop.
    /// </summary>
    public static DateTimeOffset RenewalTime(CertificateFacts facts, DesiredCertificate desired)
    {
        var got = Lifetime(facts);
        var cutShort = got < desired.Ttl - TtlTolerance;
        var renewBefore = cutShort && got / 3 < desired.RenewBefore ? got / 3 : desired.RenewBefore;
        return RenewalSchedule.RenewalTime(facts.NotAfter, renewBefore, facts.SerialNumber);
    }

    /// <summary>When a leaf signed by a retiring CA moves to the active one: its own place in the migration window,
    /// derived from its serial so every pass and replica agrees; null for a leaf of the active CA.</summary>
    public static DateTimeOffset? MigrationTime(CertificateFacts facts, IssuerView issuers)
    {
        if (facts.IssuerKeyId == issuers.ActiveKeyId || !issuers.Retiring.TryGetValue(facts.IssuerKeyId, out var retiring))
        {
            return null;
        }
        var place = RenewalSchedule.Fraction(facts.SerialNumber);
        return Api.Timestamps.ToSecond(retiring.MigrationStart + TimeSpan.FromTicks((long)(retiring.MigrationWindow.Ticks * place)));
    }

    /// <summary>Whether the certificate already ends when its CA does (it was cut short to the CA's notAfter).</summary>
    public static bool CappedByCa(CertificateFacts facts, DateTimeOffset caNotAfter) => facts.NotAfter >= caNotAfter - TimeSpan.FromSeconds(1);

    private static TimeSpan Lifetime(CertificateFacts facts) => facts.NotAfter - facts.NotBefore - SvidIssuer.ClockSkewAllowance;

    /// <summary>A new certificate from the active CA would end later than this one (false only when the active CA cut it and still would).</summary>
    private static bool CouldLastLonger(CertificateInput i)
    {
        var facts = i.Stored!.Facts!;
        return !(facts.IssuerKeyId == i.Issuers.ActiveKeyId && CappedByCa(facts, i.Issuers.ActiveNotAfter));
    }

    private static bool TtlMatches(CertificateInput i)
    {
        var facts = i.Stored!.Facts!;
        return (i.Issuers.IssuerNotAfter(facts) is { } caNotAfter && CappedByCa(facts, caNotAfter)) || (Lifetime(facts) - i.Desired.Ttl).Duration() <= TtlTolerance;
    }
}
