using k8s;
using k8s.Autorest;
using k8s.Models;
using Sigil.Authority;
using Sigil.LocalControlPlane;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>
/// The trust domain's ClusterTrustBundle, on the local control plane: created once, written only when the PEM changes,
/// never taken over from someone else, and nothing at all where the cluster does not serve the kind.
/// </summary>
public sealed class ClusterTrustBundlePublisherTests
{
    private const string Resource = "clustertrustbundles";

    private static ClusterTrustBundlePublisher Publisher(LocalCluster cluster, CapturedLogs logs) =>
        new(cluster.Client, logs.CreateLogger(nameof(ClusterTrustBundlePublisher)));

    private static Task<V1beta1ClusterTrustBundle> ReadAsync(LocalCluster cluster, string name = "sigil-cluster.local") =>
        cluster.Client.CertificatesV1beta1.ReadClusterTrustBundleAsync(name);

    [Fact]
    public async Task The_first_publish_creates_one_labelled_bundle_without_a_signer_named_after_the_trust_domain()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var logs = new CapturedLogs();
        using var publisher = Publisher(cluster, logs);
        var pem = TestCas.CaPem();

        await publisher.PublishAsync("cluster.local", pem, CancellationToken.None);

        var bundle = await ReadAsync(cluster);
        Assert.Equal(pem, bundle.Spec.TrustBundle);
        Assert.Null(bundle.Spec.SignerName);
        Assert.Equal("sigil", bundle.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(1, cluster.Requests.Count("create", Resource));
        Assert.Equal(1, cluster.Requests.Writes(Resource));
        Assert.Equal("v1beta1", publisher.ServedVersion);
    }

    [Fact]
    public async Task Publishing_an_unchanged_PEM_again_sends_no_request_and_after_a_restart_only_a_read()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var logs = new CapturedLogs();
        var pem = TestCas.CaPem();
        using (var publisher = Publisher(cluster, logs))
        {
            await publisher.PublishAsync("cluster.local", pem, CancellationToken.None);
            var afterFirst = cluster.Requests.Count(resource: Resource);

            await publisher.PublishAsync("cluster.local", pem, CancellationToken.None);
            await publisher.PublishAsync("cluster.local", pem, CancellationToken.None);

            Assert.Equal(afterFirst, cluster.Requests.Count(resource: Resource));
        }
        using var restarted = Publisher(cluster, logs);

        await restarted.PublishAsync("cluster.local", pem, CancellationToken.None);

        Assert.Equal(1, cluster.Requests.Writes(Resource));
        Assert.Equal(2, cluster.Requests.Count("get", Resource));
    }

    [Fact]
    public async Task A_changed_PEM_updates_the_bundle_once()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var publisher = Publisher(cluster, new CapturedLogs());
        var active = TestCas.CaPem("active");
        var withPrepared = active + TestCas.CaPem("prepared");
        await publisher.PublishAsync("cluster.local", active, CancellationToken.None);
        var uid = (await ReadAsync(cluster)).Metadata.Uid;

        await publisher.PublishAsync("cluster.local", withPrepared, CancellationToken.None);
        await publisher.PublishAsync("cluster.local", withPrepared, CancellationToken.None);

        var bundle = await ReadAsync(cluster);
        Assert.Equal(withPrepared, bundle.Spec.TrustBundle);
        Assert.Equal(uid, bundle.Metadata.Uid);
        Assert.Equal(1, cluster.Requests.Count("update", Resource));
        Assert.Equal(2, cluster.Requests.Writes(Resource));
    }

    [Fact]
    public async Task Each_trust_domain_gets_a_bundle_of_its_own()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var publisher = Publisher(cluster, new CapturedLogs());
        var local = TestCas.CaPem("local");
        var prod = TestCas.CaPem("prod");

        await publisher.PublishAsync("cluster.local", local, CancellationToken.None);
        await publisher.PublishAsync("prod.example.org", prod, CancellationToken.None);

        Assert.Equal(local, (await ReadAsync(cluster)).Spec.TrustBundle);
        Assert.Equal(prod, (await ReadAsync(cluster, "sigil-prod.example.org")).Spec.TrustBundle);
    }

    [Fact]
    public async Task A_bundle_of_that_name_that_Sigil_did_not_create_is_left_alone_and_logged_once()
    {
        await using var cluster = await LocalCluster.StartAsync();
        var theirs = TestCas.CaPem("theirs");
        await cluster.Client.CertificatesV1beta1.CreateClusterTrustBundleAsync(new V1beta1ClusterTrustBundle
        {
            Metadata = new V1ObjectMeta { Name = "sigil-cluster.local", Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "someone-else" } },
            Spec = new V1beta1ClusterTrustBundleSpec { TrustBundle = theirs },
        });
        var logs = new CapturedLogs();
        using var publisher = Publisher(cluster, logs);

        await publisher.PublishAsync("cluster.local", TestCas.CaPem("ours"), CancellationToken.None);
        await publisher.PublishAsync("cluster.local", TestCas.CaPem("ours rotated"), CancellationToken.None);

        Assert.Equal(theirs, (await ReadAsync(cluster)).Spec.TrustBundle);
        Assert.Equal(1, cluster.Requests.Writes(Resource));
        Assert.Single(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("sigil-cluster.local", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cluster_that_does_not_serve_the_kind_is_left_alone_and_that_is_logged_once_at_information()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ServesClusterTrustBundles = false });
        var logs = new CapturedLogs();
        using var publisher = Publisher(cluster, logs);

        await publisher.PublishAsync("cluster.local", TestCas.CaPem("one"), CancellationToken.None);
        await publisher.PublishAsync("cluster.local", TestCas.CaPem("two"), CancellationToken.None);

        Assert.Equal(0, cluster.Requests.Count(resource: Resource));
        Assert.Null(publisher.ServedVersion);
        Assert.Single(logs.Lines, l => l.StartsWith("Information:", StringComparison.Ordinal) && l.Contains("clustertrustbundles", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) || l.StartsWith("Error:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_write_is_thrown_to_the_caller_and_the_next_publish_discovers_again_and_succeeds()
    {
        await using var cluster = await LocalCluster.StartAsync();
        using var publisher = Publisher(cluster, new CapturedLogs());
        var pem = TestCas.CaPem();
        cluster.Faults.FailNext(1, 500, r => r.Verb == "create" && r.Resource == Resource);

        await Assert.ThrowsAsync<HttpOperationException>(() => publisher.PublishAsync("cluster.local", pem, CancellationToken.None));
        await publisher.PublishAsync("cluster.local", pem, CancellationToken.None);

        Assert.Equal(pem, (await ReadAsync(cluster)).Spec.TrustBundle);
    }

    public static TheoryData<string, string> Names => new()
    {
        { "cluster.local", "sigil-cluster.local" },
        { "prod.example.org", "sigil-prod.example.org" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void A_trust_domain_that_is_a_DNS_name_names_the_bundle_plainly(string trustDomain, string expected) =>
        Assert.Equal(expected, ClusterTrustBundlePublisher.NameFor(trustDomain));

    public static TheoryData<string> Awkward => ["my_domain.example", "a..b", "_", new string('x', 250) + ".example"];

    [Theory]
    [MemberData(nameof(Awkward))]
    public void A_trust_domain_that_is_no_DNS_name_still_gives_a_valid_distinct_name_without_colons(string trustDomain)
    {
        var name = ClusterTrustBundlePublisher.NameFor(trustDomain);

        Assert.StartsWith("sigil-", name, StringComparison.Ordinal);
        Assert.DoesNotContain(':', name);
        Assert.InRange(name.Length, 1, 253);
        Assert.Matches(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", name);
    }

    [Fact]
    public void Trust_domains_that_differ_only_where_a_name_cannot_follow_still_get_different_bundles() =>
        Assert.NotEqual(ClusterTrustBundlePublisher.NameFor("my_domain.example"), ClusterTrustBundlePublisher.NameFor("my-domain.example"));
}
