using Microsoft.Extensions.Time.Testing;
using Sigil.Authority;
using Sigil.Identity;

namespace Sigil.Tests.Authority;

/// <summary>
/// Activation swaps roles, not the trust set: the bundles must stay byte for byte the same, or every SVID Secret's
/// ca.crt is rewritten (a write per identity beyond PRODUCT.md's five) and bundle.spiffe changes under the same
/// spiffe_sequence.
/// </summary>
public sealed class TrustOrderTests
{
    [Fact]
    public void Activating_the_prepared_CA_leaves_ca_crt_and_bundle_spiffe_unchanged()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        using var first = CertificateAuthority.CreateRoot("cluster.local", clock, TimeSpan.FromMinutes(6));
        clock.Advance(TimeSpan.FromMinutes(3));
        using var next = CertificateAuthority.CreateRoot("cluster.local", clock, TimeSpan.FromMinutes(6));
        var prepared = new AuthorityState(first, null, next, clock.GetUtcNow(), false, [], null, 2);
        clock.Advance(TimeSpan.FromMinutes(2));

        var activated = AuthorityTransitions.Apply(prepared, new LifecycleDecision(LifecycleSteps.Activate, "due"), clock.GetUtcNow(), null,
            () => throw new InvalidOperationException("activation generates nothing"));
        var before = new TrustSnapshot(prepared, clock, TimeSpan.FromSeconds(30));
        var after = new TrustSnapshot(activated, clock, TimeSpan.FromSeconds(30));

        Assert.Same(next, activated.Active);
        Assert.Equal(before.BundlePem, after.BundlePem);
        Assert.Equal(before.SpiffeBundle, after.SpiffeBundle);
    }

    [Fact]
    public void The_bundle_lists_the_older_CA_first_whatever_its_role()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        using var first = CertificateAuthority.CreateRoot("cluster.local", clock, TimeSpan.FromMinutes(6));
        clock.Advance(TimeSpan.FromMinutes(3));
        using var next = CertificateAuthority.CreateRoot("cluster.local", clock, TimeSpan.FromMinutes(6));

        var trusted = new AuthorityState(next, null, null, null, false, [AuthorityTransitions.Retire(first, manual: false)], null, 3).Trusted();

        Assert.Equal([first.Anchor.Thumbprint, next.Anchor.Thumbprint], trusted.Select(c => c.Thumbprint));
    }
}
