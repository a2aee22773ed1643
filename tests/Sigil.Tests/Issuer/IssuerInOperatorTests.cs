using System.Net;
using System.Net.Security;
using k8s;
using k8s.Models;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer;

/// <summary>The issuer inside the operator: served by every replica, leader or not, and renewed across a CA rotation without a restart.</summary>
public sealed class IssuerInOperatorTests
{
    [Fact]
    public async Task Every_replica_answers_discovery_and_a_follower_answers_while_the_leader_is_down()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        // One issuer URL for both, as the chart's Service gives them; each replica listens on a port of its own here.
        const string IssuerUrl = "https://127.0.0.1:18443";
        var options = OperatorUnderTest.Replicas with
        {
            Namespace = $"sigil-ha-{Guid.NewGuid().ToString("N")[..6]}",
            BundlePropagation = TimeSpan.Zero,
            IssuerUrl = IssuerUrl,
        };
        await using var first = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-a" });
        await using var second = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-b" });
        await Eventually.TrueAsync(() => Task.FromResult(first.Host!.IsLeader || second.Host!.IsLeader));
        var (leader, follower) = first.Host!.IsLeader ? (first, second) : (second, first);
        var bundle = leader.Host!.Trust!.BundlePem;

        var fromLeader = await AskAsync(leader, bundle);
        var fromFollower = await AskAsync(follower, bundle);
        var (leaderJwks, followerJwks, signer) = (leader.Host.Trust!.Jwks, follower.Host!.Trust!.Jwks, leader.Host.Trust.JwtKeys.Signer!.KeyId);
        await leader.StopAsync();
        var whileLeaderDown = await AskAsync(follower, bundle);

        foreach (var answer in new[] { fromLeader, fromFollower, whileLeaderDown })
        {
            Assert.Equal(IssuerUrl, answer.Issuer);
            Assert.Equal(IssuerUrl + "/keys", answer.JwksUri);
        }
        Assert.Equal(leaderJwks, fromLeader.Keys);
        Assert.Equal(followerJwks, fromFollower.Keys);
        Assert.Equal(fromLeader.Keys, fromFollower.Keys);
        Assert.Equal(fromLeader.ETag, fromFollower.ETag);
        Assert.Contains(signer, fromFollower.Keys, StringComparison.Ordinal);
        Assert.Equal(fromFollower.Keys, whileLeaderDown.Keys);
    }

    [Fact]
    public async Task A_manual_CA_rotation_replaces_the_served_certificate_without_a_restart()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.FromSeconds(1) });
        var host = op.Host!;
        var port = host.IssuerPort!.Value;
        var original = host.Trust!;
        var (_, before) = await IssuerServerTests.HandshakeAsync(port, "127.0.0.1", original.BundlePem);

        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"issuer-test"}}}""", V1Patch.PatchType.MergePatch),
            AuthorityManager.DefaultSecretName, op.Options.Namespace);
        await Eventually.TrueAsync(() => Task.FromResult(host.Trust!.Signer.KeyIdHex != original.Signer.KeyIdHex), TimeSpan.FromSeconds(30), "the new CA never started signing");
        var rotated = host.Trust!;
        var (errors, after) = await IssuerServerTests.HandshakeAsync(port, "127.0.0.1", rotated.BundlePem);
        var (againstNewRootOnly, _) = await IssuerServerTests.HandshakeAsync(port, "sigil." + op.Options.Namespace + ".svc", rotated.Signer.TrustBundlePem);

        Assert.Same(host, op.Host);
        Assert.Equal(port, host.IssuerPort);
        Assert.Equal(original.Signer.KeyIdHex, CertificateFacts.Of(before).IssuerKeyId);
        Assert.Equal(rotated.Signer.KeyIdHex, CertificateFacts.Of(after).IssuerKeyId);
        Assert.Equal(SslPolicyErrors.None, errors);
        Assert.Equal(SslPolicyErrors.None, againstNewRootOnly);
        Assert.Contains(op.Logs.Lines, l => l.Contains("Issuer certificate issued (SignerChanged)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_follower_serves_a_certificate_of_the_new_CA_after_a_rotation_the_leader_made()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var options = OperatorUnderTest.Replicas with
        {
            Namespace = $"sigil-ha-{Guid.NewGuid().ToString("N")[..6]}",
            BundlePropagation = TimeSpan.FromSeconds(1),
        };
        await using var first = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-a" });
        await using var second = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-b" });
        await Eventually.TrueAsync(() => Task.FromResult(first.Host!.IsLeader || second.Host!.IsLeader));
        var follower = first.Host!.IsLeader ? second : first;
        var original = follower.Host!.Trust!.Signer.KeyIdHex;

        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"follower"}}}""", V1Patch.PatchType.MergePatch),
            AuthorityManager.DefaultSecretName, options.Namespace);
        await Eventually.TrueAsync(() => Task.FromResult(follower.Host.Trust!.Signer.KeyIdHex != original), TimeSpan.FromSeconds(30), "the follower never saw the new CA sign");
        var rotated = follower.Host.Trust!;
        var (errors, served) = await IssuerServerTests.HandshakeAsync(follower.Host.IssuerPort!.Value, "127.0.0.1", rotated.BundlePem);

        Assert.Equal(SslPolicyErrors.None, errors);
        Assert.Equal(rotated.Signer.KeyIdHex, CertificateFacts.Of(served).IssuerKeyId);
    }

    private sealed record Answer(string? Issuer, string? JwksUri, string Keys, string? ETag);

    private static async Task<Answer> AskAsync(OperatorUnderTest replica, string bundlePem)
    {
        using var http = new HttpClient(StandaloneIssuer.TrustingHandler(bundlePem)) { BaseAddress = new Uri($"https://127.0.0.1:{replica.Host!.IssuerPort}") };
        using var discovery = await http.GetAsync("/.well-known/openid-configuration");
        using var keys = await http.GetAsync("/keys");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        var document = StandaloneIssuer.Json(await discovery.Content.ReadAsStringAsync());
        return new Answer(document.GetProperty("issuer").GetString(), document.GetProperty("jwks_uri").GetString(), await keys.Content.ReadAsStringAsync(), keys.Headers.ETag?.Tag);
    }
}
