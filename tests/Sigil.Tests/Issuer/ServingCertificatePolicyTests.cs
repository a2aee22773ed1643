using Sigil.Identity;
using Sigil.Issuer;

namespace Sigil.Tests.Issuer;

public sealed class ServingCertificatePolicyTests
{
    private static readonly DateTimeOffset Issued = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset CaNotAfter = Issued.AddDays(365);

    private static CertificateFacts Facts(string issuerKeyId, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        new("01", "ff", KeyAlgorithm.ECDSAP256, notBefore, notAfter, ["spiffe://cluster.local/ns/ops/sa/sigil"], ["sigil"], issuerKeyId, "aa");

    // Issued at midnight for 24h: two thirds is 16:00.
    private static readonly CertificateFacts Current = Facts("ca1", Issued, Issued.AddHours(24));

    public static TheoryData<string, CertificateFacts?, string, DateTimeOffset, DateTimeOffset, string?> Cases => new()
    {
        { "none yet: issue the first", null, "ca1", CaNotAfter, Issued, ServingCertificateReasons.First },
        { "fresh and signed by the active CA: keep it", Current, "ca1", CaNotAfter, Issued.AddHours(1), null },
        { "just before two thirds: keep it", Current, "ca1", CaNotAfter, Issued.AddHours(16).AddSeconds(-1), null },
        { "at two thirds: renew", Current, "ca1", CaNotAfter, Issued.AddHours(16), ServingCertificateReasons.DueForRenewal },
        { "expired (a process that slept): renew", Current, "ca1", CaNotAfter, Issued.AddDays(3), ServingCertificateReasons.DueForRenewal },
        { "another CA signs now (a rotation activated): reissue at once, however fresh", Current, "ca2", CaNotAfter, Issued.AddMinutes(1), ServingCertificateReasons.SignerChanged },
        { "cut short by the CA, past two thirds: the same CA cannot do better, keep it", Facts("ca1", Issued, Issued.AddHours(3)), "ca1", Issued.AddHours(3), Issued.AddHours(2.5), null },
        { "cut short by a CA that has since been replaced by one with the same key: renew", Facts("ca1", Issued, Issued.AddHours(3)), "ca1", CaNotAfter, Issued.AddHours(2.5), ServingCertificateReasons.DueForRenewal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_issuer_certificate_is_replaced_only_when_due(string because, CertificateFacts? current, string activeKeyId, DateTimeOffset activeNotAfter, DateTimeOffset now, string? expected)
    {
        Assert.True(expected == ServingCertificatePolicy.Due(current, activeKeyId, activeNotAfter, now), because);
    }
}
