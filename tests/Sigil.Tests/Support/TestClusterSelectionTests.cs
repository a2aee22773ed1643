using Sigil.Tests.Support;

namespace Sigil.Tests.Support;

public sealed class TestClusterSelectionTests
{
    public static TheoryData<string, ClusterKind, string?, string?, string?, bool, string?> Cases => new()
    {
        { "the local control plane is always available", ClusterKind.Local, null, null, null, false, null },
        { "real-cluster mode is skipped unless switched on", ClusterKind.RealCluster, null, "/k", null, false, "SIGIL_TEST_REAL_CLUSTER=1" },
        { "real-cluster mode needs a KUBECONFIG", ClusterKind.RealCluster, "1", null, null, false, "KUBECONFIG is not set" },
        { "real-cluster mode runs when both are set", ClusterKind.RealCluster, "1", "/k", null, false, null },
        { "k3s mode is skipped unless switched on", ClusterKind.K3s, null, null, null, true, "SIGIL_TEST_K3S=1" },
        { "k3s mode is skipped when no Docker daemon answers", ClusterKind.K3s, null, null, "1", false, "no Docker daemon answers" },
        { "k3s mode runs when switched on and Docker answers", ClusterKind.K3s, null, null, "1", true, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_cluster_kind_is_used_or_skipped_with_a_reason_that_says_what_to_set(
        string because, ClusterKind kind, string? realFlag, string? kubeconfig, string? k3sFlag, bool docker, string? expectedReasonPart)
    {
        var environment = new Dictionary<string, string?>
        {
            ["SIGIL_TEST_REAL_CLUSTER"] = realFlag,
            ["KUBECONFIG"] = kubeconfig,
            ["SIGIL_TEST_K3S"] = k3sFlag,
        };

        var reason = TestCluster.SkipReason(kind, name => environment.GetValueOrDefault(name), () => docker);

        if (expectedReasonPart is null)
        {
            Assert.True(reason is null, because);
        }
        else
        {
            Assert.Contains(expectedReasonPart, reason ?? "", StringComparison.Ordinal);
        }
    }
}
