using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sigil.Api;
using Sigil.Operator;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>
/// Sigil through two full CA lifetimes on a simulated clock, with identities in several namespaces, checking what a pod
/// would see at every minute: a leaf must verify against the bundle each namespace holds now AND against the bundle it
/// held --bundle-propagation ago (a pod whose kubelet has not synced yet), every leaf moves to the new CA before the old
/// one expires, and a CA rotation costs each identity at most five writes.
/// </summary>
public sealed class CaRotationSimulationTests
{
    private static readonly TimeSpan CaTtl = TimeSpan.FromMinutes(60);
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);

    private sealed record Seen(DateTimeOffset At, IReadOnlyDictionary<string, X509Certificate2Collection> Bundles);

    [Fact]
    public async Task Every_leaf_verifies_against_every_bundle_a_pod_could_hold_through_two_CA_lifetimes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var options = new OperatorOptions { CaTtl = CaTtl, BundlePropagation = Propagation };
        await using var op = await OperatorUnderTest.StartAsync(cluster, options, time: time);
        var namespaces = new[] { await cluster.CreateNamespaceAsync(), await cluster.CreateNamespaceAsync(), await cluster.CreateNamespaceAsync() };
        // Per namespace: two leaves that outlive every CA (cut short to it: only CA rotations rewrite them) and one that renews often.
        var identities = new List<(string Ns, string Name, bool OutlivesCa)>();
        foreach (var ns in namespaces)
        {
            identities.Add((ns, "api", true));
            identities.Add((ns, "worker", true));
            identities.Add((ns, "cron", false));
        }
        foreach (var (ns, name, outlives) in identities)
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity(name, new X509Spec { Ttl = outlives ? "24h" : "10m" }));
        }
        foreach (var (ns, name, _) in identities)
        {
            await op.WaitForAsync(ns, name, Reasons.Issued);
        }

        var history = new List<Seen>();
        var signers = new List<string>();
        var failures = new List<string>();
        var start = time.GetUtcNow();
        var manual = false;
        while (time.GetUtcNow() < start + 2 * CaTtl + TimeSpan.FromMinutes(15))
        {
            if (!manual && time.GetUtcNow() >= start + TimeSpan.FromMinutes(52))
            {
                // Right after a scheduled rotation (nothing prepared yet), a manual one (a response to a compromise): the new CA may sign only once
                // every bundle has held it for --bundle-propagation, and the old one leaves once no leaf uses it.
                manual = true;
                await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"simulated"}}}""",
                    V1Patch.PatchType.MergePatch), "sigil-ca", op.Options.Namespace);
            }
            time.Advance(Step);
            await SimulatedTime.SettleAsync(op.Host!, local);
            var now = time.GetUtcNow();
            var bundles = new Dictionary<string, X509Certificate2Collection>();
            foreach (var ns in namespaces)
            {
                var cm = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns);
                bundles[ns] = Pem(cm.Data["ca.crt"]);
            }
            history.Add(new Seen(now, bundles));
            var earlier = history.LastOrDefault(h => h.At <= now - Propagation) ?? history[0];
            foreach (var (ns, name, _) in identities)
            {
                var secret = (await cluster.Client.ReadSecretOrNullAsync(ns, name + "-svid"))!;
                var chain = Pem(Encoding.ASCII.GetString(secret.Data["tls.crt"]));
                var leaf = chain[0];
                foreach (var (bundleNs, bundle) in bundles)
                {
                    Check(leaf, bundle, now, $"{ns}/{name} at +{now - start} against {bundleNs}'s bundle now", failures);
                    Check(leaf, earlier.Bundles[bundleNs], now, $"{ns}/{name} at +{now - start} against {bundleNs}'s bundle of +{earlier.At - start}", failures);
                }
                Check(leaf, Pem(Encoding.ASCII.GetString(secret.Data["ca.crt"])), now, $"{ns}/{name} at +{now - start} against its own ca.crt", failures);
                var issuer = leaf.Issuer;
                if (!signers.Contains(issuer))
                {
                    signers.Add(issuer);
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        }

        // Three CAs signed in turn: the first, and one for each rotation (two full lifetimes).
        Assert.True(signers.Count >= 3, $"the CA rotated {signers.Count - 1} times: {string.Join(", ", signers)}");
        var rotations = signers.Count - 1;
        var writes = await WritesPerIdentityAsync(cluster, local, identities.Where(i => i.OutlivesCa).Select(i => (i.Ns, i.Name)));
        // First issuance: Secret, status, event. Each rotation: the next CA into ca.crt, the reissue (Secret, status, event),
        // the old CA out of ca.crt. One more CA may be prepared (published) when the run ends.
        var budget = 3 + 5 * rotations + 1;
        Assert.All(writes, w => Assert.True(w.Value.Count <= budget, $"{w.Key} took {w.Value.Count} writes over {rotations} CA rotations; the budget is {budget}: {w.Value.What}"));
    }

    /// <summary>A leaf of a CA the bundle lacks, or of a CA that has expired, fails, as it would for a TLS peer at that time.</summary>
    private static void Check(X509Certificate2 leaf, X509Certificate2Collection bundle, DateTimeOffset now, string what, List<string> failures)
    {
        if (TrustChecks.WhyNotTrusted(leaf, bundle, now) is { } why)
        {
            failures.Add($"{what}: {why} (leaf issuer {leaf.Issuer}, notAfter {leaf.NotAfter:u})");
        }
    }

    private static X509Certificate2Collection Pem(string pem) => TrustChecks.Pem(pem);

    /// <summary>Waits until the operator has nothing queued and has sent no request for a moment (real time).</summary>
    private static async Task<Dictionary<string, (int Count, string What)>> WritesPerIdentityAsync(TestCluster cluster, Sigil.LocalControlPlane.LocalCluster local,
        IEnumerable<(string Ns, string Name)> identities)
    {
        var requests = local.Requests.All;
        var result = new Dictionary<string, (int, string)>();
        foreach (var (ns, name) in identities)
        {
            var secretWrites = requests.Count(r => r.Namespace == ns && r.Resource == "secrets" && r.Verb is "update" or "patch" && r.Name == name + "-svid") + 1;
            var statusWrites = requests.Count(r => r.Namespace == ns && r.Resource == "serviceidentities" && r.Subresource == "status" && r.Name == name);
            var events = (await cluster.Client.EventsV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.Regarding?.Name == name).ToList();
            var secretVerbs = string.Join(",", requests.Where(r => r.Namespace == ns && r.Resource == "secrets" && r.Name == name + "-svid" && r.Verb is "update" or "patch").Select(r => r.Verb));
            result[$"{ns}/{name}"] = (secretWrites + statusWrites + events.Count,
                $"Secret: create,{secretVerbs}; status: {statusWrites}; events: {string.Join(",", events.Select(e => e.Reason))}");
        }
        return result;
    }
}
