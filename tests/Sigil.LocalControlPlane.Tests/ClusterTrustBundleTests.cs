using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Sigil.LocalControlPlane;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>
/// certificates.k8s.io ClusterTrustBundle as the emulator serves it: cluster-scoped, v1beta1 (preferred) and v1alpha1
/// as two views of the same objects, validated as kube-apiserver validates them, and absent when asked to be.
/// </summary>
public sealed class ClusterTrustBundleTests
{
    private static string PrivateKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static V1beta1ClusterTrustBundle Bundle(string name, string pem, string? signerName = null) => new()
    {
        ApiVersion = "certificates.k8s.io/v1beta1",
        Kind = "ClusterTrustBundle",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1beta1ClusterTrustBundleSpec { TrustBundle = pem, SignerName = signerName },
    };

    [Fact]
    public async Task A_ClusterTrustBundle_created_through_the_typed_v1beta1_client_is_cluster_scoped_and_read_back_in_v1alpha1()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var pem = TestCas.CaPem();

        var created = await cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(Bundle("example-bundle", pem));
        var alpha = await cluster.Client.CustomObjects.GetClusterCustomObjectAsync("certificates.k8s.io", "v1alpha1", "clustertrustbundles", "example-bundle");
        var listed = await cluster.Client.CertificatesV1beta1.ListClusterTrustBundleAsync();

        Assert.Equal(pem, created.Spec.TrustBundle);
        Assert.Null(created.Metadata.NamespaceProperty);
        Assert.NotNull(created.Metadata.Uid);
        var alphaJson = KubernetesJson.Serialize(alpha);
        Assert.Contains("\"apiVersion\":\"certificates.k8s.io/v1alpha1\"", alphaJson, StringComparison.Ordinal);
        Assert.Contains(created.Metadata.Uid, alphaJson, StringComparison.Ordinal);
        Assert.Equal(["example-bundle"], listed.Items.Select(b => b.Metadata.Name));
    }

    [Fact]
    public async Task Discovery_lists_the_group_with_v1beta1_preferred_and_clustertrustbundles_in_both_versions()
    {
        await using var cluster = await LocalCluster.StartAsync();

        var groups = await cluster.Client.Apis.GetAPIVersionsAsync();
        var beta = await cluster.Client.CertificatesV1beta1.GetAPIResourcesAsync();
        var group = groups.Groups.Single(g => g.Name == "certificates.k8s.io");

        Assert.Equal("v1beta1", group.PreferredVersion.Version);
        Assert.Equal(["v1beta1", "v1alpha1"], group.Versions.Select(v => v.Version));
        var resource = beta.Resources.Single(r => r.Name == "clustertrustbundles");
        Assert.False(resource.Namespaced);
        Assert.Equal("ClusterTrustBundle", resource.Kind);
    }

    public static TheoryData<string, string?, string, string> Invalid => new()
    {
        { "a name with ':' but no signerName", null, "sigil:cluster.local", "metadata.name" },
        { "a signerName the name does not start with", "example.com/signer", "other:bundle", "metadata.name" },
        { "a name that is not a DNS subdomain", null, "Sigil_Bundle", "metadata.name" },
        { "an empty trust bundle", null, "empty", "spec.trustBundle" },
        { "a trust bundle that is not PEM certificates", null, "not-pem", "spec.trustBundle" },
        { "a private key in the trust bundle", null, "with-key", "spec.trustBundle" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task The_API_server_rejects_what_kube_apiserver_rejects(string why, string? signerName, string name, string field)
    {
        await using var cluster = await LocalCluster.StartAsync();
        var pem = name switch
        {
            "empty" => "",
            "not-pem" => "hello",
            "with-key" => PrivateKeyPem(),
            _ => TestCas.CaPem(),
        };

        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(Bundle(name, pem, signerName)));

        Assert.True(code == HttpStatusCode.UnprocessableEntity, why);
        Assert.Contains(field, status.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signer_bundle_named_after_its_signer_is_accepted_and_its_signerName_cannot_change()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var created = await cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(Bundle("example.com:signer:one", TestCas.CaPem(), "example.com/signer"));

        created.Spec.SignerName = "example.com/other";
        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CertificatesV1beta1.ReplaceClusterTrustBundleAsync(created, created.Metadata.Name));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains("spec.signerName", status.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_started_without_ClusterTrustBundles_does_not_serve_them()
    {
        // Pod certificates off too: with either on, the certificates.k8s.io group is served.
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ServesClusterTrustBundles = false, ServesPodCertificateRequests = false });

        var groups = await cluster.Client.Apis.GetAPIVersionsAsync();
        var (code, _) = await ApiErrors.CatchAsync(() => cluster.Client.CertificatesV1beta1.ListClusterTrustBundleAsync());

        Assert.DoesNotContain(groups.Groups, g => g.Name == "certificates.k8s.io");
        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Theory]
    [InlineData("1.32")]
    [InlineData("1.34")]
    public async Task Kubectl_gets_clustertrustbundles_with_their_signer_and_reads_the_PEM(string version)
    {
        // Local only: real clusters serve the kind only with the (off by default) beta API enabled.
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var pem = TestCas.CaPem();
        await cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(Bundle("sigil-cluster.local", pem));
        await cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(Bundle("example.com:signer:one", TestCas.CaPem(), "example.com/signer"));

        var resources = await kubectl.OkAsync("api-resources", "--api-group", "certificates.k8s.io");
        var table = await kubectl.OkAsync("get", "clustertrustbundles");
        var read = await kubectl.OkAsync("get", "clustertrustbundle", "sigil-cluster.local", "-o", "jsonpath={.spec.trustBundle}");
        var alpha = await kubectl.OkAsync("get", "clustertrustbundles.v1alpha1.certificates.k8s.io", "-o", "name");

        Assert.Matches(@"clustertrustbundles\s+certificates\.k8s\.io/v1beta1\s+false\s+ClusterTrustBundle", resources);
        Assert.Matches(@"NAME\s+SIGNERNAME", table);
        Assert.Matches(@"sigil-cluster\.local\s+<none>", table);
        Assert.Matches(@"example\.com:signer:one\s+example\.com/signer", table);
        Assert.Equal(pem, read);
        Assert.Contains("clustertrustbundle.certificates.k8s.io/sigil-cluster.local", alpha, StringComparison.Ordinal);
    }
}
