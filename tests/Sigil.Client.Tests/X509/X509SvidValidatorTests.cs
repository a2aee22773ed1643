using System.Security.Cryptography.X509Certificates;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;
using Sigil.Identity;

namespace Sigil.Client.Tests.X509;

/// <summary>Which peers' certificates pass as X.509-SVIDs, with the attacker's attempts first.</summary>
public sealed class X509SvidValidatorTests : IDisposable
{
    private const string Payments = "spiffe://cluster.local/ns/shop/sa/payments";

    private readonly TestPki _pki = new();

    private SvidValidationResult Validate(X509Certificate2 peer, IEnumerable<X509Certificate2>? sent = null, TrustBundle? bundle = null,
        SpiffeIdAuthorizer? authorizer = null, DateTimeOffset? at = null) =>
        X509SvidValidator.Validate(peer, sent, bundle ?? TestPki.Bundle(_pki.Ours), authorizer ?? SpiffeIdAuthorizer.MemberOf("cluster.local"), at);

    private X509Certificate2 Svid(CertificateAuthority ca, string sa = "payments", DateTimeOffset? at = null, TimeSpan? ttl = null) =>
        TestPki.Leaf(_pki.Issue(ca, "shop", sa, at: at, ttl: ttl));

    private static void Refused(SvidValidationResult result, string because, string? problemContains = null)
    {
        Assert.False(result.Succeeded, because);
        Assert.Null(result.Id);
        if (problemContains is not null)
        {
            Assert.Contains(problemContains, result.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_SVID_of_a_CA_in_the_bundle_is_accepted_with_its_SPIFFE_ID()
    {
        var result = Validate(Svid(_pki.Ours));
        Assert.True(result.Succeeded, result.Problem);
        Assert.Equal(SpiffeId.Parse(Payments), result.Id);
    }

    [Fact]
    public void An_SVID_of_another_CA_with_our_trust_domain_name_is_refused() =>
        Refused(Validate(Svid(_pki.Stranger)), "a stranger's CA is not in the bundle", "does not chain");

    [Fact]
    public void The_CA_certificate_itself_presented_as_a_leaf_is_refused() =>
        Refused(Validate(_pki.Ours.Anchor), "a CA is never a workload", "CA certificate");

    [Fact]
    public void A_CA_certificate_with_a_SPIFFE_ID_signed_by_our_CA_is_refused() =>
        Refused(Validate(_pki.Custom(_pki.Ours.Signer, [Payments], ca: true, usage: X509KeyUsageFlags.KeyCertSign)), "CA:TRUE", "CA certificate");

    [Fact]
    public void A_leaf_that_may_sign_certificates_is_refused() =>
        Refused(Validate(_pki.Custom(_pki.Ours.Signer, [Payments], usage: X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign)),
            "keyCertSign on a leaf", "keyCertSign");

    [Fact]
    public void A_certificate_with_two_URI_SANs_is_refused() =>
        Refused(Validate(_pki.Custom(_pki.Ours.Signer, [Payments, "spiffe://cluster.local/ns/bank/sa/ledger"])), "which ID would it be?", "exactly one URI SAN");

    [Fact]
    public void A_certificate_without_a_SPIFFE_ID_is_refused() =>
        Refused(Validate(_pki.Custom(_pki.Ours.Signer, ["https://payments.shop.svc"])), "a URI that is not a SPIFFE ID", "not a SPIFFE ID");

    [Fact]
    public void An_expired_SVID_is_refused_without_being_told_the_time()
    {
        var expired = Svid(_pki.Ours, at: _pki.Now - TimeSpan.FromHours(3), ttl: TimeSpan.FromHours(1));
        Refused(Validate(expired), "expired an hour ago: the default is now", "does not chain");
        Assert.True(Validate(expired, at: _pki.Now - TimeSpan.FromHours(2.5)).Succeeded, "it was valid then");
    }

    [Fact]
    public void An_SVID_not_yet_valid_is_refused() =>
        Refused(Validate(Svid(_pki.Ours, at: _pki.Now + TimeSpan.FromHours(2))), "notBefore in the future");

    [Fact]
    public void A_valid_SVID_whose_SPIFFE_ID_the_authorizer_refuses_is_refused_naming_both()
    {
        var result = Validate(Svid(_pki.Ours, sa: "payments-admin"), authorizer: SpiffeIdAuthorizer.Exact(SpiffeId.Parse(Payments)));
        Refused(result, "an ID with ours as a prefix", "spiffe://cluster.local/ns/shop/sa/payments-admin is not allowed here (allowed: exactly " + Payments);
    }

    [Fact]
    public void A_root_of_the_attackers_own_sent_as_an_intermediate_does_not_make_its_leaf_trusted()
    {
        var attackerRoot = _pki.NewCa();
        var leaf = Svid(attackerRoot);
        Refused(Validate(leaf, sent: [attackerRoot.Anchor]), "only the bundle decides what is trusted");
    }

    [Fact]
    public void A_leaf_signed_by_a_real_SVIDs_key_and_sent_with_that_SVID_is_refused()
    {
        var real = Svid(_pki.Ours, sa: "payments");
        var forged = _pki.Custom(real, ["spiffe://cluster.local/ns/bank/sa/ledger"]);
        Refused(Validate(forged, sent: [real]), "an SVID is not a CA");
    }

    [Fact]
    public void More_intermediates_than_any_real_chain_are_refused_before_building()
    {
        var noise = Enumerable.Range(0, X509SvidValidator.MaxIntermediates + 1).Select(_ => _pki.NewCa().Anchor).ToList();
        Refused(Validate(Svid(_pki.Ours), sent: noise), "an unbounded chain from a stranger", "at most");
    }

    [Fact]
    public void A_rotated_bundle_with_the_old_and_new_CA_accepts_SVIDs_of_both_and_the_old_bundle_only_the_old()
    {
        var next = _pki.NewCa();
        var both = TestPki.Bundle(_pki.Ours, next);

        Assert.True(Validate(Svid(_pki.Ours), bundle: both).Succeeded);
        Assert.True(Validate(Svid(next), bundle: both).Succeeded);
        Refused(Validate(Svid(next), bundle: TestPki.Bundle(_pki.Ours)), "the new CA has not reached this bundle yet");
    }

    [Fact]
    public void An_SVID_of_a_platform_intermediate_is_accepted_with_the_intermediate_it_sends_and_refused_without()
    {
        var (intermediate, root) = TestPki.PlatformIntermediate(_pki.Now);
        var issued = _pki.Issue(intermediate, "shop", "payments");
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(issued.CertificateChainPem);
        var bundle = TrustBundle.FromPem(root.ExportCertificatePem(), "platform root", TestPki.TrustDomain);

        Assert.True(Validate(TestPki.Leaf(issued), sent: chain.Skip(1), bundle: bundle).Succeeded);
        Refused(Validate(TestPki.Leaf(issued), bundle: bundle), "the intermediate is needed to reach the root");
    }

    [Fact]
    public void Under_a_shared_upstream_root_a_peer_of_another_trust_domain_is_refused_even_by_the_Any_authorizer()
    {
        var (intermediate, _) = TestPki.PlatformIntermediate(_pki.Now);
        var ours = TestPki.Load(_pki.Issue(intermediate, "shop", "orders"));
        var evil = _pki.Issue(intermediate, "shop", "payments", trustDomain: "evil.example");
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(evil.CertificateChainPem);

        Refused(X509SvidValidator.Validate(TestPki.Leaf(evil), chain.Skip(1), ours.Bundle, SpiffeIdAuthorizer.Any()),
            "the bundle is cluster.local's; evil.example's workloads share only the upstream root", "trust domain");
        Assert.True(X509SvidValidator.Validate(TestPki.Leaf(_pki.Issue(intermediate, "shop", "payments")), chain.Skip(1), ours.Bundle, SpiffeIdAuthorizer.Any()).Succeeded);
    }

    public void Dispose() => _pki.Dispose();
}
