using System.Text;
using k8s.Models;
using Sigil.Credentials.X509;
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

        var cached = CacheTransforms.Slim(secret);

        Assert.Null(cached.Metadata.ManagedFields);
        Assert.Equal(["sigil.dev/rotate"], cached.Metadata.Annotations.Keys);
    }

    [Fact]
    public void Cached_objects_share_the_strings_every_object_repeats_and_keep_their_own_names()
    {
        static V1Secret Parsed(string name) => k8s.KubernetesJson.Deserialize<V1Secret>($$$"""
            {"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"{{{name}}}","namespace":"shop",
             "labels":{"app.kubernetes.io/managed-by":"sigil","sigil.dev/identity":"{{{name}}}"},"annotations":{"sigil.dev/spiffe-id":"spiffe://x/{{{name}}}"},
             "ownerReferences":[{"apiVersion":"sigil.dev/v1alpha1","kind":"ServiceIdentity","name":"{{{name}}}","uid":"u-{{{name}}}"}]}}
            """);

        var (a, b) = (CacheTransforms.Slim(Parsed("a")), CacheTransforms.Slim(Parsed("b")));

        Assert.Same(a.ApiVersion, b.ApiVersion);
        Assert.Same(a.Type, b.Type);
        Assert.Same(a.Metadata.NamespaceProperty, b.Metadata.NamespaceProperty);
        Assert.Same(a.Metadata.Labels.Keys.First(), b.Metadata.Labels.Keys.First());
        Assert.Same(a.Metadata.Labels["app.kubernetes.io/managed-by"], b.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Same(a.Metadata.OwnerReferences[0].Kind, b.Metadata.OwnerReferences[0].Kind);
        Assert.Equal(("a", "b"), (a.Metadata.Labels["sigil.dev/identity"], b.Metadata.Labels["sigil.dev/identity"]));
        Assert.Equal("spiffe://x/b", b.Metadata.Annotations["sigil.dev/spiffe-id"]);
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
