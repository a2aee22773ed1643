using System.Text;
using k8s.Models;
using Sigil.Reconciliation;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

public sealed class CacheTransformsTests
{
    [Fact]
    public void Bookkeeping_is_dropped_and_the_annotations_Sigil_reads_are_kept()
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = "s",
                ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }],
                Annotations = new Dictionary<string, string>
                {
                    ["kubectl.kubernetes.io/last-applied-configuration"] = "{...}",
                    ["sigil.dev/rotate"] = "now",
                },
            },
        };

        var cached = CacheTransforms.StripBookkeeping(secret);

        Assert.Null(cached.Metadata.ManagedFields);
        Assert.Equal(["sigil.dev/rotate"], cached.Metadata.Annotations.Keys);
    }

    [Fact]
    public void A_cached_mTLS_Secret_keeps_its_facts_but_not_its_key()
    {
        using var ca = Sigil.Identity.CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new Sigil.Identity.SvidIssuer(ca, TimeProvider.System).Issue(new Sigil.Identity.SvidRequest(
            new Sigil.Identity.SpiffeId("cluster.local", "shop", "payments"), [], Sigil.Identity.KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-svid" },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]>
            {
                ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
                ["tls.key"] = Encoding.ASCII.GetBytes(svid.PrivateKeyPem),
                ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
            },
        };

        var compact = SecretReader.Compact(secret);
        var facts = SecretReader.Read(compact);

        Assert.Null(compact.Data);
        Assert.Equal(svid.Facts.SerialNumber, facts.Facts!.SerialNumber);
        Assert.True(facts.KeyMatchesCertificate);
        Assert.True(facts.HasTrustBundle);
    }
}
