using System.Security.Cryptography.X509Certificates;
using Sigil.Issuer.Token.ClientAuthentication;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestSvids;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>The chain memo saves rebuilds and never widens trust: a new bundle, a later time or another chain starts from nothing.</summary>
public sealed class TrustedChainMemoTests : IDisposable
{
    private readonly TestSvids _svids = new();

    [Fact]
    public void A_chain_that_built_is_remembered_for_the_same_bundle()
    {
        var memo = new TrustedChainMemo();
        var svid = _svids.Issue(_svids.Ours, Payments);
        var bundle = _svids.AfterRotation;

        Assert.True(SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, TrustDomain, T0, memo).Accepted);

        Assert.True(memo.Knows(svid.Leaf, [], bundle, T0 + TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void A_remembered_chain_of_a_CA_that_was_then_dropped_is_rejected_under_the_new_bundle()
    {
        var memo = new TrustedChainMemo();
        var svid = _svids.Issue(_svids.Retiring, Payments);
        Assert.True(SvidClientCertificateValidator.Validate(svid.Leaf, [], _svids.DuringRotation, TrustDomain, T0, memo).Accepted);

        var after = SvidClientCertificateValidator.Validate(svid.Leaf, [], _svids.AfterRotation, TrustDomain, T0, memo);

        Assert.Equal(SvidRejections.UntrustedChain, after.Rejection);
    }

    [Fact]
    public void A_chain_that_failed_is_not_remembered()
    {
        var memo = new TrustedChainMemo();
        var stranger = _svids.Issue(_svids.SameNameStranger, Victim);
        IReadOnlyList<X509Certificate2> bundle = [_svids.Ours.Anchor];

        SvidClientCertificateValidator.Validate(stranger.Leaf, [], bundle, TrustDomain, T0, memo);

        Assert.False(memo.Knows(stranger.Leaf, [], bundle, T0));
    }

    [Fact]
    public void A_remembered_chain_is_forgotten_past_the_validity_of_any_of_its_certificates()
    {
        var memo = new TrustedChainMemo();
        var svid = _svids.Issue(_svids.Ours, Payments, ttl: TimeSpan.FromMinutes(30));
        var bundle = _svids.AfterRotation;
        SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, TrustDomain, T0, memo);

        Assert.False(memo.Knows(svid.Leaf, [], bundle, svid.Issued.Facts.NotAfter + TimeSpan.FromSeconds(1)));
        Assert.False(memo.Knows(svid.Leaf, [], bundle, svid.Issued.Facts.NotBefore - TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void The_same_leaf_with_other_intermediates_is_another_chain()
    {
        var memo = new TrustedChainMemo();
        var svid = _svids.Issue(_svids.Ours, Payments);
        var bundle = _svids.AfterRotation;
        SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, TrustDomain, T0, memo);

        Assert.False(memo.Knows(svid.Leaf, [_svids.SameNameStranger.Anchor], bundle, T0));
    }

    [Fact]
    public void A_remembered_chain_still_gets_every_leaf_check()
    {
        var memo = new TrustedChainMemo();
        var svid = _svids.Issue(_svids.Ours, Payments, ttl: TimeSpan.FromMinutes(30));
        var bundle = _svids.AfterRotation;
        SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, TrustDomain, T0, memo);

        Assert.Equal(SvidRejections.OtherTrustDomain, SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, "other.example", T0, memo).Rejection);
        Assert.Equal(SvidRejections.Expired, SvidClientCertificateValidator.Validate(svid.Leaf, [], bundle, TrustDomain, T0 + TimeSpan.FromHours(1), memo).Rejection);
    }

    public void Dispose() => _svids.Dispose();
}
