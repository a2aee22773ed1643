using System.Security.Cryptography.X509Certificates;
using Sigil.Identity;
using Sigil.Issuer.Token.ClientAuthentication;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestSvids;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>
/// May this certificate chain authenticate a client of the token endpoint? Mostly from the attacker's side: certificates
/// an attacker can make or obtain, presented to claim some workload's SPIFFE ID.
/// </summary>
public sealed class SvidClientCertificateValidatorTests : IDisposable
{
    private readonly TestSvids _svids = new();

    private sealed record Case(X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Intermediates, IReadOnlyList<X509Certificate2> Trusted, DateTimeOffset Now,
        string? ExpectedId, string? ExpectedRejection);

    private static Case Accepts(LoadedSvid svid, IReadOnlyList<X509Certificate2> trusted, DateTimeOffset? now = null) =>
        new(svid.Leaf, svid.Intermediates, trusted, now ?? T0, svid.SpiffeId, null);

    private static Case Rejects(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> trusted, string reason, IReadOnlyList<X509Certificate2>? intermediates = null, DateTimeOffset? now = null) =>
        new(leaf, intermediates ?? [], trusted, now ?? T0, null, reason);

    private static readonly Dictionary<string, Func<TestSvids, Case>> Table = new()
    {
        ["an SVID our CA issued is accepted as its SPIFFE ID"] =
            s => Accepts(s.Issue(s.Ours, Payments), s.AfterRotation),
        ["an RSA SVID our CA issued is accepted"] =
            s => Accepts(s.Issue(s.Ours, Payments, KeyAlgorithm.RSA2048), s.AfterRotation),
        ["an Ed25519 SVID our CA issued is accepted"] =
            s => Accepts(s.Issue(s.Ours, Payments, KeyAlgorithm.Ed25519), s.AfterRotation),
        ["a leaf of the retiring CA is accepted while the CA is still in the bundle"] =
            s => Accepts(s.Issue(s.Retiring, Payments), s.DuringRotation),
        ["a leaf of the new CA is accepted while the retiring one is still in the bundle"] =
            s => Accepts(s.Issue(s.Ours, Payments), s.DuringRotation),
        ["a leaf of a dropped CA is rejected the moment the CA leaves the bundle"] =
            s => Rejects(s.Issue(s.Retiring, Payments).Leaf, s.AfterRotation, SvidRejections.UntrustedChain),
        ["an SVID under a platform intermediate is accepted with the intermediate it sends"] =
            s =>
            {
                var (intermediate, root) = s.PlatformIntermediate();
                return Accepts(s.Issue(intermediate, Payments), [root]);
            },
        ["an SVID under a platform intermediate that leaves out the intermediate is rejected"] =
            s =>
            {
                var (intermediate, root) = s.PlatformIntermediate();
                return Rejects(s.Issue(intermediate, Payments).Leaf, [root], SvidRejections.UntrustedChain);
            },
        ["an SVID just issued, inside the one-minute back-dating, is accepted"] =
            s => Accepts(s.Issue(s.Ours, Payments), s.AfterRotation, now: T0 - TimeSpan.FromSeconds(30)),
        ["an SVID from another trust domain's CA is rejected as another trust domain"] =
            s => Rejects(s.Issue(s.OtherDomain, new SpiffeId("other.example", "shop", "payments")).Leaf, s.AfterRotation, SvidRejections.OtherTrustDomain),
        ["an SVID from another trust domain is rejected even when that domain's CA is in the bundle"] =
            s => Rejects(s.Issue(s.OtherDomain, new SpiffeId("other.example", "shop", "payments")).Leaf, [s.Ours.Anchor, s.OtherDomain.Anchor], SvidRejections.OtherTrustDomain),
        ["another trust domain's CA issuing our trust domain's SPIFFE ID is rejected"] =
            s => Rejects(s.Issue(s.OtherDomain, Victim).Leaf, s.AfterRotation, SvidRejections.UntrustedChain),
        ["another Sigil's CA for a trust domain of the same name is rejected"] =
            s => Rejects(s.Issue(s.SameNameStranger, Victim).Leaf, s.AfterRotation, SvidRejections.UntrustedChain),
        ["another Sigil's CA is rejected even when the client sends that CA along as an intermediate"] =
            s => Rejects(s.Issue(s.SameNameStranger, Victim).Leaf, s.AfterRotation, SvidRejections.UntrustedChain, intermediates: [s.SameNameStranger.Anchor]),
        ["an SVID one second past its notAfter is rejected as expired"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments, ttl: TimeSpan.FromHours(1));
                return Rejects(svid.Leaf, s.AfterRotation, SvidRejections.Expired, now: svid.Issued.Facts.NotAfter + TimeSpan.FromSeconds(1));
            },
        ["an SVID issued for later is rejected as not yet valid"] =
            s => Rejects(s.Issue(s.Ours, Payments, at: T0 + TimeSpan.FromHours(1)).Leaf, s.AfterRotation, SvidRejections.NotYetValid),
        ["the CA certificate itself presented as a client is rejected"] =
            s => Rejects(s.Ours.Signer, s.AfterRotation, SvidRejections.CertificateAuthority),
        ["a CA certificate carrying a SPIFFE ID, signed by our CA, is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, [Victim.ToString()], ca: true), s.AfterRotation, SvidRejections.CertificateAuthority),
        ["a self-signed certificate with a Sigil-looking SPIFFE ID is rejected"] =
            s => Rejects(s.Custom(null, [Victim.ToString()]), s.AfterRotation, SvidRejections.UntrustedChain),
        ["a self-signed certificate with a Sigil-looking SPIFFE ID is rejected even when it is its own intermediate"] =
            s =>
            {
                var forged = s.Custom(null, [Victim.ToString()]);
                return Rejects(forged, s.AfterRotation, SvidRejections.UntrustedChain, intermediates: [forged]);
            },
        ["a leaf signed by another workload's SVID key (CA:FALSE) is rejected"] =
            s =>
            {
                var workload = s.Issue(s.Ours, Payments);
                return Rejects(s.Custom(workload.Leaf, [Victim.ToString()]), s.AfterRotation, SvidRejections.UntrustedChain, intermediates: [workload.Leaf]);
            },
        ["a leaf with two SPIFFE IDs, even signed by our CA, is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, [Payments.ToString(), Victim.ToString()]), s.AfterRotation, SvidRejections.SeveralUriNames),
        ["a leaf with only a DNS name is rejected for having no SPIFFE ID"] =
            s => Rejects(s.Custom(s.Ours.Signer, [], dnsNames: ["payments.shop.svc"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a leaf whose URI is https, not spiffe, is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, ["https://cluster.local/ns/bank/sa/ledger"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a SPIFFE ID with dot-dot segments is rejected rather than normalised"] =
            s => Rejects(s.Custom(s.Ours.Signer, ["spiffe://cluster.local/ns/shop/../../ns/bank/sa/ledger"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a SPIFFE ID with a port is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, ["spiffe://cluster.local:443/ns/bank/sa/ledger"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a SPIFFE ID with a query is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, ["spiffe://cluster.local/ns/bank/sa/ledger?x=1"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a trust domain in capitals is another trust domain's spelling and is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, ["spiffe://CLUSTER.LOCAL/ns/bank/sa/ledger"]), s.AfterRotation, SvidRejections.NoSpiffeId),
        ["a leaf without digitalSignature is rejected"] =
            s => Rejects(s.Custom(s.Ours.Signer, [Payments.ToString()], usage: X509KeyUsageFlags.KeyEncipherment), s.AfterRotation, SvidRejections.NoDigitalSignature),
        ["a leaf restricted to server authentication is rejected as a client"] =
            s => Rejects(s.Custom(s.Ours.Signer, [Payments.ToString()], ekus: ["1.3.6.1.5.5.7.3.1"]), s.AfterRotation, SvidRejections.NotForClientAuthentication),
        ["an otherwise good leaf with five intermediates is rejected before any chain is built"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments);
                return Rejects(svid.Leaf, s.AfterRotation, SvidRejections.TooManyIntermediates, intermediates: [.. Enumerable.Repeat(s.SameNameStranger.Anchor, 5)]);
            },
        ["an empty bundle trusts nobody"] =
            s => Rejects(s.Issue(s.Ours, Payments).Leaf, [], SvidRejections.UntrustedChain),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Only_an_SVID_of_this_trust_domain_chaining_to_the_current_bundle_authenticates(string because)
    {
        var c = Table[because](_svids);

        var verdict = SvidClientCertificateValidator.Validate(c.Leaf, c.Intermediates, c.Trusted, TrustDomain, c.Now);

        Assert.True(verdict.SpiffeId == c.ExpectedId && verdict.Rejection == c.ExpectedRejection,
            $"{because}: expected {c.ExpectedId ?? c.ExpectedRejection}, got {verdict.SpiffeId ?? verdict.Rejection}");
    }

    [Fact]
    public void A_leaf_signed_by_the_retiring_CA_is_accepted_during_the_rotation_and_rejected_once_the_CA_is_dropped()
    {
        var svid = _svids.Issue(_svids.Retiring, Payments);

        var during = SvidClientCertificateValidator.Validate(svid.Leaf, [], _svids.DuringRotation, TrustDomain, T0);
        var after = SvidClientCertificateValidator.Validate(svid.Leaf, [], _svids.AfterRotation, TrustDomain, T0);

        Assert.Equal(Payments.ToString(), during.SpiffeId);
        Assert.Equal(SvidRejections.UntrustedChain, after.Rejection);
    }

    [Fact]
    public void Under_a_shared_platform_root_only_a_leaf_of_Sigils_own_signer_authenticates_never_one_of_a_sibling_CA()
    {
        // --ca-secret with an intermediate: the bundle holds the platform root, under which another cluster's Sigil or another
        // team's issuer can sign a leaf naming any SPIFFE ID of this trust domain.
        var (intermediates, root) = _svids.PlatformIntermediates(2);
        var (ours, sibling) = (intermediates[0], intermediates[1]);
        var issuers = new ClientIssuers([ours.Signer], new HashSet<string>());
        var own = _svids.Issue(ours, Payments);
        var forged = _svids.Issue(sibling, Victim);

        var accepted = SvidClientCertificateValidator.Validate(own.Leaf, own.Intermediates, [root], TrustDomain, T0, issuers: issuers);
        var refused = SvidClientCertificateValidator.Validate(forged.Leaf, forged.Intermediates, [root], TrustDomain, T0, issuers: issuers);
        var retiring = SvidClientCertificateValidator.Validate(forged.Leaf, forged.Intermediates, [root], TrustDomain, T0,
            issuers: new ClientIssuers([ours.Signer], new HashSet<string> { sibling.KeyIdHex }));

        Assert.Equal(Payments.ToString(), accepted.SpiffeId);
        Assert.Equal(SvidRejections.UntrustedChain, refused.Rejection);
        Assert.Equal(Victim.ToString(), retiring.SpiffeId);
    }

    public void Dispose() => _svids.Dispose();
}
