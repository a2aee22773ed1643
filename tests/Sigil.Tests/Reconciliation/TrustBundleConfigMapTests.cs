using System.Text.Json;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Reconciliation;

namespace Sigil.Tests.Reconciliation;

public sealed class TrustBundleConfigMapTests
{
    private static readonly CertificateAuthority Root = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
    private static readonly AuthorityState Ca = new(Root, null, null, null, false, [], null, 1);
    private static readonly JwtSigningKey Active = JwtSigningKey.Generate(JwtSigningKey.ES256);
    private static readonly JwtSigningKey Next = JwtSigningKey.Generate(JwtSigningKey.RS256);

    private static TrustSnapshot Snapshot(JwtKeySet keys) => new(Ca, TimeProvider.System, TimeSpan.FromMinutes(10), keys);

    [Fact]
    public void A_bundle_written_before_a_JWT_key_was_prepared_is_rewritten_though_its_CA_certificates_are_current()
    {
        var before = Snapshot(new JwtKeySet(Active, [Active], 1));
        var after = Snapshot(new JwtKeySet(Active, [Active, Next], 2));
        var published = TrustBundleConfigMap.Render("shop", before, "1");

        Assert.False(TrustBundleConfigMap.Matches(published, after));
        Assert.Equal(new BundleHeld(Authorities: true, JwtKeys: false), TrustBundleConfigMap.Held(published, after));
        var rewritten = TrustBundleConfigMap.Render("shop", after, "1");
        Assert.Equal(published.Data["ca.crt"], rewritten.Data["ca.crt"]);
        Assert.Equal([Active.KeyId, Next.KeyId], Kids(rewritten.Data["jwks.json"]));
        Assert.Equal([Active.KeyId, Next.KeyId], Kids(rewritten.Data["bundle.spiffe"], "jwt-svid"));
        Assert.True(TrustBundleConfigMap.Matches(rewritten, after));
    }

    [Fact]
    public void Activating_the_prepared_JWT_key_changes_no_bundle()
    {
        var prepared = Snapshot(new JwtKeySet(Active, [Active, Next], 2));
        var activated = Snapshot(new JwtKeySet(Next, [Active, Next], 2));

        Assert.True(TrustBundleConfigMap.Matches(TrustBundleConfigMap.Render("shop", prepared, null), activated));
    }

    [Fact]
    public void A_new_CA_in_a_bundle_whose_JWT_keys_are_current_holds_only_the_JWT_part()
    {
        using var other = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var keys = new JwtKeySet(Active, [Active], 1);
        var published = TrustBundleConfigMap.Render("shop", Snapshot(keys), null);
        var withPrepared = new TrustSnapshot(Ca with { Prepared = other, Sequence = 2 }, TimeProvider.System, TimeSpan.FromMinutes(10), keys);

        Assert.Equal(new BundleHeld(Authorities: false, JwtKeys: true), TrustBundleConfigMap.Held(published, withPrepared));
    }

    private static List<string> Kids(string json, string? use = null) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("keys").EnumerateArray()
            .Where(k => use is null || k.GetProperty("use").GetString() == use).Select(k => k.GetProperty("kid").GetString()!)];
}
