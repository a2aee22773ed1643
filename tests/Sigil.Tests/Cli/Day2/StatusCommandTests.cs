using System.Text.Json;
using Sigil.Api;
using Sigil.Cli.Day2;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>`sigil status` against a cluster with the operator running.</summary>
public sealed class StatusCommandTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private static async Task<(TestCluster Cluster, OperatorUnderTest Op, string Ns)> IssuedAndNotAllowedAsync(ClusterKind kind)
    {
        var cluster = await TestCluster.StartAsync(kind);
        var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("status");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.CreateAsync(ns, OperatorUnderTest.Identity("evil", new X509Spec { DnsNames = ["www.example.com"] }));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        await op.WaitForAsync(ns, "evil", Reasons.NotAllowed);
        return (cluster, op, ns);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Status_lists_the_namespaces_identities_and_exits_non_zero_naming_the_one_that_is_not_Ready(ClusterKind kind)
    {
        var (cluster, op, ns) = await IssuedAndNotAllowedAsync(kind);
        await using var _ = cluster;
        await using var __ = op;
        var payments = await op.GetAsync(ns, "payments");

        var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "status", "-n", ns, "--sigil-namespace", op.Options.Namespace);

        Assert.Equal(ExitCodes.Unhealthy, result.ExitCode);
        Assert.Contains($"not Ready: {ns}/evil (NotAllowed)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain($"{ns}/payments", result.Stderr, StringComparison.Ordinal);
        var lines = result.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("payments ", StringComparison.Ordinal) && l.Contains(" True ", StringComparison.Ordinal)
            && l.Contains("x509", StringComparison.Ordinal) && l.Contains("payments-svid", StringComparison.Ordinal)
            && l.Contains(payments.Status!.X509!.SerialNumber![..16], StringComparison.Ordinal) && l.Contains("in 23h", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("evil ", StringComparison.Ordinal) && l.Contains(" False ", StringComparison.Ordinal) && l.Contains("NotAllowed", StringComparison.Ordinal));
        Assert.Contains($"{ns}/evil is not Ready: NotAllowed: spec.x509.dnsNames \"www.example.com\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("active ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_of_one_Ready_identity_exits_0_and_of_one_that_does_not_exist_exits_1_saying_so()
    {
        var (cluster, op, ns) = await IssuedAndNotAllowedAsync(ClusterKind.Local);
        await using var _ = cluster;
        await using var __ = op;

        var ready = await Day2Cli.RunAsync(cluster.KubeconfigPath, "status", "payments", "-n", ns, "--sigil-namespace", op.Options.Namespace);
        var missing = await Day2Cli.RunAsync(cluster.KubeconfigPath, "status", "nobody", "-n", ns);

        Assert.True(ready.ExitCode == ExitCodes.Ok, ready.Output);
        Assert.DoesNotContain("evil", ready.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Equal($"sigil: ServiceIdentity {ns}/nobody not found\n", missing.Stderr);
    }

    [Fact]
    public async Task Status_across_all_namespaces_as_json_parses_with_the_documented_fields()
    {
        var (cluster, op, ns) = await IssuedAndNotAllowedAsync(ClusterKind.Local);
        await using var _ = cluster;
        await using var __ = op;
        var other = await cluster.CreateNamespaceAsync("other");
        await op.CreateAsync(other, OperatorUnderTest.Caller("billing", "payments"));
        await op.WaitForAsync(other, "billing", Reasons.Pending);

        var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "status", "-A", "-o", "json", "--sigil-namespace", op.Options.Namespace);

        Assert.Equal(ExitCodes.Unhealthy, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var identities = json.RootElement.GetProperty("identities").EnumerateArray().ToList();
        Assert.Equal(new[] { $"{ns}/evil", $"{ns}/payments", $"{other}/billing" }.Order(StringComparer.Ordinal),
            identities.Select(i => $"{i.GetProperty("namespace").GetString()}/{i.GetProperty("name").GetString()}").Order(StringComparer.Ordinal));
        Assert.Equal(new[] { $"{ns}/evil", $"{other}/billing" }.Order(StringComparer.Ordinal), json.RootElement.GetProperty("notReady").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        var payments = identities.Single(i => i.GetProperty("name").GetString() == "payments");
        Assert.True(payments.GetProperty("ready").GetBoolean());
        Assert.Equal("Issued", payments.GetProperty("reason").GetString());
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", payments.GetProperty("spiffeID").GetString());
        var x509 = Assert.Single(payments.GetProperty("credentials").EnumerateArray());
        Assert.Equal("x509", x509.GetProperty("kind").GetString());
        Assert.EndsWith("Z", x509.GetProperty("expires").GetString(), StringComparison.Ordinal);
        Assert.Equal("active", json.RootElement.GetProperty("authority").GetProperty("cas")[0].GetProperty("state").GetString());
        Assert.Equal("active", json.RootElement.GetProperty("authority").GetProperty("jwtKeys")[0].GetProperty("state").GetString());
        Assert.Contains($"{other}/billing (Pending)", result.Stderr, StringComparison.Ordinal);
    }
}
