using System.Text.Json;
using Sigil.Api;
using Sigil.Cli.Day2;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>`sigil rotate` against a cluster with the operator running.</summary>
public sealed class RotateCommandTests
{
    [Fact]
    public async Task Rotate_wait_returns_once_status_shows_the_new_value_and_the_certificate_has_a_new_serial()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("rotate");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        var before = await op.WaitForAsync(ns, "payments", Reasons.Issued);

        var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "rotate", "payments", "-n", ns, "--wait", "--timeout", "60s");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.Output);
        var after = await op.GetAsync(ns, "payments");
        var request = after.Metadata.Annotations[Labels.RotateAnnotation];
        Assert.Equal(request, after.Status!.LastRotationRequest);
        Assert.NotEqual(before.Status!.X509!.SerialNumber, after.Status.X509!.SerialNumber);
        Assert.Contains($"{ns}/payments: rotation requested (sigil.dev/rotate={request})", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{ns}/payments: rotated, certificate serial {after.Status.X509.SerialNumber}", result.Stdout, StringComparison.Ordinal);
        var secret = (await op.SecretAsync(ns, "payments-svid"))!;
        Assert.Equal(request, secret.Metadata.Annotations[Labels.RotationRequestAnnotation]);
    }

    [Fact]
    public async Task Rotate_all_sets_one_fresh_value_on_every_identity_of_the_namespace_and_leaves_other_namespaces_alone()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("rotate");
        var other = await cluster.CreateNamespaceAsync("other");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("a"));
        await op.CreateAsync(ns, OperatorUnderTest.Identity("b"));
        await op.CreateAsync(other, OperatorUnderTest.Identity("c"));
        await op.WaitForAsync(ns, "a", Reasons.Issued);
        await op.WaitForAsync(ns, "b", Reasons.Issued);

        var first = await Day2Cli.RunAsync(cluster.KubeconfigPath, "rotate", "--all", "-n", ns, "--wait", "-o", "json");

        Assert.True(first.ExitCode == ExitCodes.Ok, first.Output);
        using var json = JsonDocument.Parse(first.Stdout);
        var request = json.RootElement.GetProperty("request").GetString();
        Assert.All(json.RootElement.GetProperty("identities").EnumerateArray(), i => Assert.True(i.GetProperty("rotated").GetBoolean()));
        Assert.Equal(request, (await op.GetAsync(ns, "a")).Status!.LastRotationRequest);
        Assert.Equal(request, (await op.GetAsync(ns, "b")).Status!.LastRotationRequest);
        Assert.False((await op.GetAsync(other, "c")).Metadata.Annotations?.ContainsKey(Labels.RotateAnnotation) ?? false);
        var second = await Day2Cli.RunAsync(cluster.KubeconfigPath, "rotate", "--all", "-n", ns, "-o", "json");
        using var again = JsonDocument.Parse(second.Stdout);
        Assert.NotEqual(request, again.RootElement.GetProperty("request").GetString());
    }

    [Fact]
    public async Task Rotate_wait_with_no_operator_acting_times_out_with_exit_code_3_naming_the_identity()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("rotate");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        await op.StopAsync();

        var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "rotate", "payments", "-n", ns, "--wait", "--timeout", "2s");

        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
        Assert.Contains($"timed out after 2s waiting for {ns}/payments", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{ns}/payments: status does not show the rotation yet", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_wait_on_an_identity_nothing_can_be_issued_for_times_out_saying_why_it_is_not_Ready()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("rotate");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("evil", new X509Spec { DnsNames = ["www.example.com"] }));
        await op.WaitForAsync(ns, "evil", Reasons.NotAllowed);

        var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "rotate", "evil", "-n", ns, "--wait", "--timeout", "3s");

        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
        Assert.Contains($"{ns}/evil: status does not show the rotation yet (it is not Ready: NotAllowed)", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "rotate" }, "give a ServiceIdentity NAME or --all")]
    [InlineData(new[] { "rotate", "a", "--all" }, "give a ServiceIdentity NAME or --all")]
    [InlineData(new[] { "rotate", "a", "-A" }, "-A goes with --all")]
    [InlineData(new[] { "rotate", "a", "--timeout", "soon" }, "--timeout \"soon\" is not a duration")]
    public async Task Flags_that_do_not_go_together_are_refused_before_anything_is_written(string[] args, string expected)
    {
        var result = await Day2Cli.RunAsync("/nonexistent/kubeconfig", args);

        Assert.NotEqual(ExitCodes.Ok, result.ExitCode);
        Assert.Contains(expected, result.Output, StringComparison.Ordinal);
    }
}
