using Sigil.Identity;
using Sigil.Credentials.X509;

namespace Sigil.Tests.Credentials.X509;

public sealed class ReissuePolicyTests
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly SpiffeId Id = new("cluster.local", "shop", "payments");
    private static readonly DesiredCertificate Desired = new("payments-svid", TimeSpan.FromHours(24), TimeSpan.FromHours(8), KeyAlgorithm.ECDSAP256, ["payments.shop.svc"]);

    private static CertificateFacts Facts(Func<CertificateFacts, CertificateFacts>? change = null)
    {
        var facts = new CertificateFacts("0a1b2c", "ff", KeyAlgorithm.ECDSAP256, IssuedAt - SvidIssuer.ClockSkewAllowance, IssuedAt + TimeSpan.FromHours(24),
            [Id.ToString()], ["payments.shop.svc"], "ca-key", "spki");
        return change is null ? facts : change(facts);
    }

    private static CertificateInput Input(StoredCertificate? stored = null, DesiredCertificate? desired = null, DateTimeOffset? now = null,
        string? rotate = null, string? lastRotate = null, string caKeyId = "ca-key", IssuerView? issuers = null) =>
        new(Id, desired ?? Desired, (stored ?? new StoredCertificate(Facts(), true, true, true)) with { RotationRequest = lastRotate },
            issuers ?? IssuerView.Single(caKeyId, IssuedAt.AddYears(1)), rotate, now ?? IssuedAt.AddHours(1));

    // The CA rotated an hour after the leaf was issued: "ca-key" retires (it expires in 12h), "new-ca" signs.
    private static readonly DateTimeOffset Activated = IssuedAt.AddHours(1);
    private static readonly IssuerView Rotated = new("new-ca", IssuedAt.AddYears(1), new Dictionary<string, RetiringIssuer>
    {
        ["ca-key"] = new(IssuedAt.AddHours(13), Activated, TimeSpan.FromHours(6)),
    });

    /// <summary>A leaf its CA cut to 6h (it asked for 24h), ending when that CA does.</summary>
    private static StoredCertificate CutShort(DateTimeOffset caNotAfter) =>
        new(Facts(f => f with { NotBefore = caNotAfter - TimeSpan.FromHours(6) - SvidIssuer.ClockSkewAllowance, NotAfter = caNotAfter }), true, true, true);

    private static DateTimeOffset? PlaceInWindow() => ReissuePolicy.MigrationTime(Facts(), Rotated);

    private static readonly Dictionary<string, (CertificateInput Input, string? Expected)> Table = new()
    {
        ["a fresh, matching certificate is left alone"] = (Input(), null),
        ["reissue when the Secret is missing"] = (new CertificateInput(Id, Desired, null, IssuerView.Single("ca-key", IssuedAt.AddYears(1)), null, IssuedAt), ReissueReasons.SecretMissing),
        ["reissue when the Secret has no certificate"] = (Input(new StoredCertificate(null, true, false, true)), ReissueReasons.SecretIncomplete),
        ["reissue when the Secret is missing its private key"] = (Input(new StoredCertificate(Facts(), false, false, true)), ReissueReasons.SecretIncomplete),
        ["reissue when the Secret is missing its trust bundle"] = (Input(new StoredCertificate(Facts(), true, true, false)), ReissueReasons.SecretIncomplete),
        ["reissue when the key does not belong to the certificate"] = (Input(new StoredCertificate(Facts(), true, false, true)), ReissueReasons.KeyMismatch),
        ["reissue once when tls.key is PKCS#8 v2, which OpenSSL 3.0 cannot read"] = (Input(new StoredCertificate(Facts(), true, true, true, KeyReadableEverywhere: false)), ReissueReasons.KeyEncodingOutdated),
        ["a key that does not belong to the certificate is named before its encoding"] = (Input(new StoredCertificate(Facts(), true, false, true, KeyReadableEverywhere: false)), ReissueReasons.KeyMismatch),
        ["an outdated key encoding is named before a changed SPIFFE ID"] = (Input(new StoredCertificate(Facts(f => f with { UriNames = ["spiffe://cluster.local/ns/shop/sa/other"] }), true, true, true, KeyReadableEverywhere: false)), ReissueReasons.KeyEncodingOutdated),
        ["reissue when the certificate names another SPIFFE ID"] = (Input(new StoredCertificate(Facts(f => f with { UriNames = ["spiffe://cluster.local/ns/shop/sa/other"] }), true, true, true)), ReissueReasons.SpiffeIdChanged),
        ["reissue when the certificate has a second URI SAN"] = (Input(new StoredCertificate(Facts(f => f with { UriNames = [Id.ToString(), "spiffe://x/y"] }), true, true, true)), ReissueReasons.SpiffeIdChanged),
        ["reissue when dnsNames changed"] = (Input(desired: Desired with { DnsNames = ["payments.shop.svc", "payments"] }), ReissueReasons.DnsNamesChanged),
        ["dnsNames in another order are the same names"] = (Input(new StoredCertificate(Facts(f => f with { DnsNames = ["b", "a"] }), true, true, true), Desired with { DnsNames = ["a", "b"] }), null),
        ["reissue when keyAlgorithm changed"] = (Input(desired: Desired with { KeyAlgorithm = KeyAlgorithm.Ed25519 }), ReissueReasons.KeyAlgorithmChanged),
        ["reissue at once when a CA Sigil does not trust signed it"] = (Input(caKeyId: "new-ca"), ReissueReasons.IssuerChanged),
        ["a leaf of a retiring CA stays until its place in the migration window"] = (Input(issuers: Rotated, now: PlaceInWindow()!.Value.AddSeconds(-1)), null),
        ["a leaf of a retiring CA moves to the new CA at its place in the window"] = (Input(issuers: Rotated, now: PlaceInWindow()), ReissueReasons.CaRotated),
        ["a leaf cut short by a retiring CA has not changed ttl"] = (Input(CutShort(IssuedAt.AddHours(13)), issuers: Rotated, now: Activated), null),
        ["a leaf cut short by its CA renews at a third of the lifetime it got"] = (Input(CutShort(IssuedAt.AddHours(13)), issuers: Rotated with
            { Retiring = new Dictionary<string, RetiringIssuer> { ["ca-key"] = new(IssuedAt.AddHours(13), IssuedAt.AddHours(11.5), TimeSpan.FromHours(1)) } },
            now: IssuedAt.AddHours(11)), ReissueReasons.DueForRenewal),
        ["reissue when ttl changed"] = (Input(desired: Desired with { Ttl = TimeSpan.FromHours(2), RenewBefore = TimeSpan.FromMinutes(30) }), ReissueReasons.TtlChanged),
        ["rotate once when sigil.dev/rotate has a new value"] = (Input(rotate: "2026-11-27"), ReissueReasons.ManualRotation),
        ["do not rotate again for a value already acted on"] = (Input(rotate: "2026-11-27", lastRotate: "2026-11-27"), null),
        ["renew once notAfter - renewBefore has passed"] = (Input(now: IssuedAt.AddHours(16)), ReissueReasons.DueForRenewal),
        ["do not renew before the jittered renewal time"] = (Input(now: IssuedAt.AddHours(16) - TimeSpan.FromMinutes(6)), null),
        ["do not renew a certificate the CA that signs now would cut at the same time again"] = (Input(CutShort(IssuedAt.AddHours(24)),
            issuers: IssuerView.Single("ca-key", IssuedAt.AddHours(24)), now: IssuedAt.AddHours(23)), null),
        ["an earlier check wins over a later one"] = (Input(new StoredCertificate(Facts(), true, false, true), now: IssuedAt.AddHours(20)), ReissueReasons.KeyMismatch),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_reissue_policy_names_the_first_reason_to_reissue(string because)
    {
        var (input, expected) = Table[because];

        var decision = ReissuePolicy.Evaluate(input);

        Assert.True(expected == decision?.Reason, $"{because}: got {decision?.Reason ?? "no reissue"} ({decision?.Message})");
    }

    [Theory]
    [InlineData(24 * 60, 8 * 60, 5)]
    [InlineData(60, 20, 1)]
    [InlineData(10, 2, 0.1)]
    public void Renewal_is_pulled_earlier_by_at_most_the_jitter_bound_and_never_later(int ttlMinutes, int renewBeforeMinutes, double maxJitterMinutes)
    {
        var notAfter = IssuedAt.AddMinutes(ttlMinutes);
        var renewBefore = TimeSpan.FromMinutes(renewBeforeMinutes);

        var times = Enumerable.Range(0, 500).Select(i => RenewalSchedule.RenewalTime(notAfter, renewBefore, $"serial-{i}")).ToList();

        var latest = notAfter - renewBefore;
        Assert.All(times, t => Assert.InRange(t, latest - TimeSpan.FromMinutes(maxJitterMinutes) - TimeSpan.FromSeconds(1), latest));
        Assert.True(times.Distinct().Count() > 1, "jitter spreads renewals");
        Assert.Equal(times[0], RenewalSchedule.RenewalTime(notAfter, renewBefore, "serial-0"));
    }
}
