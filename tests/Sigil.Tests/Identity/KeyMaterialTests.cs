using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Identity;

public sealed class KeyMaterialTests
{
    private static readonly SpiffeId Payments = new("cluster.local", "shop", "payments");

    private static IssuedSvid Issue(KeyAlgorithm algorithm)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        return new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, [], algorithm, TimeSpan.FromHours(1)));
    }

    public static TheoryData<KeyAlgorithm> Algorithms => [.. Enum.GetValues<KeyAlgorithm>()];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Every_key_Sigil_writes_names_the_public_key_of_its_certificate_and_is_PKCS8_v1(KeyAlgorithm algorithm)
    {
        var svid = Issue(algorithm);

        Assert.Equal(svid.Facts.PublicKeySpkiSha256, KeyMaterial.PublicKeySpkiSha256(svid.PrivateKeyPem));
        Assert.False(KeyMaterial.IsPkcs8V2(svid.PrivateKeyPem));
    }

    [Fact]
    public void An_Ed25519_key_an_earlier_version_wrote_as_PKCS8_v2_still_names_its_public_key_and_is_recognised_as_v2()
    {
        var svid = Issue(KeyAlgorithm.Ed25519);
        var earlier = EarlierSigil.Ed25519KeyAsPkcs8V2(svid.PrivateKeyPem);

        Assert.NotEqual(svid.PrivateKeyPem, earlier);
        Assert.Equal(svid.Facts.PublicKeySpkiSha256, KeyMaterial.PublicKeySpkiSha256(earlier));
        Assert.True(KeyMaterial.IsPkcs8V2(earlier));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    public void Text_that_is_not_a_PKCS8_key_has_no_public_key_and_no_version_to_complain_about(string pem)
    {
        Assert.Null(KeyMaterial.PublicKeySpkiSha256(pem));
        Assert.False(KeyMaterial.IsPkcs8V2(pem));
    }
}
