using System.Text;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;
using Sigil.Identity;

namespace Sigil.Client.Tests.X509;

/// <summary>Reading the SVID Secret exactly as the operator writes it.</summary>
public sealed class X509SvidTests : IDisposable
{
    private readonly TestPki _pki = new();

    private static FolderSnapshot Folder(Dictionary<string, string> files) =>
        new("/mounted/svid", "v1", files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value)));

    [Theory]
    [InlineData(KeyAlgorithm.ECDSAP256)]
    [InlineData(KeyAlgorithm.ECDSAP384)]
    [InlineData(KeyAlgorithm.RSA2048)]
    public void An_operator_issued_SVID_reads_with_its_SPIFFE_ID_key_and_bundle(KeyAlgorithm algorithm)
    {
        var issued = _pki.Issue(_pki.Ours, "shop", "payments", algorithm: algorithm);

        var svid = X509Svid.Parse(Folder(TestPki.Files(issued)));

        Assert.Equal(SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments"), svid.Id);
        Assert.True(svid.Certificate.HasPrivateKey);
        Assert.Equal(issued.Facts.SerialNumber, svid.Certificate.SerialNumber.ToLowerInvariant());
        Assert.Empty(svid.Intermediates);
        Assert.Equal(_pki.Ours.Anchor.Thumbprint, Assert.Single(svid.Bundle.Authorities).Thumbprint);
    }

    [Fact]
    public void A_key_of_another_certificate_is_refused_saying_so()
    {
        var files = TestPki.Files(_pki.Issue(_pki.Ours, "shop", "payments"));
        files["tls.key"] = _pki.Issue(_pki.Ours, "shop", "payments").PrivateKeyPem;

        var error = Assert.Throws<SigilCredentialException>(() => X509Svid.Parse(Folder(files)));

        Assert.Contains("is not the private key of the certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Ed25519_SVID_is_refused_naming_the_key_algorithms_that_work()
    {
        var files = TestPki.Files(_pki.Issue(_pki.Ours, "shop", "payments", algorithm: KeyAlgorithm.Ed25519));
        Assert.Contains("ECDSAP256", Assert.Throws<SigilCredentialException>(() => X509Svid.Parse(Folder(files))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_holding_a_leaf_is_refused()
    {
        var issued = _pki.Issue(_pki.Ours, "shop", "payments");
        var files = TestPki.Files(issued);
        files["ca.crt"] = issued.CertificateChainPem;
        Assert.Contains("not a CA", Assert.Throws<SigilCredentialException>(() => X509Svid.Parse(Folder(files))).Message, StringComparison.Ordinal);
    }

    public void Dispose() => _pki.Dispose();
}
