using System.Net;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>Validation rules through the API: the Status a client sees on create, update, patch and the status subresource.</summary>
public sealed class CustomResourceRulesTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private const string Spec = """{"min": 1, "max": 2, "replicas": 3, "mode": "on"}""";

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_broken_rule_is_a_422_Invalid_with_the_rules_field_and_message(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", """{"min": 3, "max": 2}""", apiVersion: apiVersion));

        Assert.True(status == (HttpStatusCode)422, body.ToJsonString());
        Assert.Equal("Invalid", (string?)body["reason"]);
        Assert.EndsWith("\"gizmo\" is invalid: spec: Invalid value: \"object\": min 3 is above max 2", (string?)body["message"], StringComparison.Ordinal);
        var cause = Assert.Single(body["details"]!["causes"]!.AsArray())!;
        Assert.Equal("FieldValueInvalid", (string?)cause["reason"]);
        Assert.Equal("spec", (string?)cause["field"]);
        Assert.Equal("Invalid value: \"object\": min 3 is above max 2", (string?)cause["message"]);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Api.GetAsync($"{path}/gizmo")).Status);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_rule_that_fails_at_run_time_is_a_422_not_a_500(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", """{"min": 1}""", apiVersion: apiVersion));

        Assert.True(status == (HttpStatusCode)422, body.ToJsonString());
        Assert.Contains("spec: Invalid value: \"object\": no such key: max evaluating rule: self.min <= self.max", (string?)body["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Transition_rules_run_on_update_and_patch_against_the_stored_object(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);
        var (created, _) = await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", Spec, apiVersion: apiVersion));
        Assert.Equal(HttpStatusCode.Created, created);

        var (shrunk, shrunkBody) = await cluster.Api.SendAsync(HttpMethod.Patch, $"{path}/gizmo", JsonNode.Parse("""{"spec": {"replicas": 2}}"""), "application/merge-patch+json");
        var (renamed, renamedBody) = await cluster.Api.SendAsync(HttpMethod.Put, $"{path}/gizmo", Gadgets.New("gizmo", """{"min": 1, "max": 2, "replicas": 3, "mode": "off"}""", apiVersion: apiVersion));
        var (grown, grownBody) = await cluster.Api.SendAsync(HttpMethod.Patch, $"{path}/gizmo", JsonNode.Parse("""{"spec": {"replicas": 4}}"""), "application/merge-patch+json");

        Assert.True(shrunk == (HttpStatusCode)422, shrunkBody.ToJsonString());
        Assert.Contains("spec.replicas: Invalid value: \"integer\": replicas may not shrink", (string?)shrunkBody["message"], StringComparison.Ordinal);
        Assert.True(renamed == (HttpStatusCode)422, renamedBody.ToJsonString());
        Assert.Contains("spec.mode: Invalid value: \"string\": mode is immutable", (string?)renamedBody["message"], StringComparison.Ordinal);
        Assert.True(grown == HttpStatusCode.OK, grownBody.ToJsonString());
        Assert.Equal(4, (int?)grownBody["spec"]!["replicas"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Writes_to_the_status_subresource_evaluate_the_status_rules(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);
        await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", Spec, apiVersion: apiVersion));

        var (negative, negativeBody) = await cluster.Api.SendAsync(HttpMethod.Patch, $"{path}/gizmo/status", JsonNode.Parse("""{"status": {"ready": -1}}"""), "application/merge-patch+json");
        var (ready, readyBody) = await cluster.Api.SendAsync(HttpMethod.Patch, $"{path}/gizmo/status", JsonNode.Parse("""{"status": {"ready": 1}}"""), "application/merge-patch+json");

        Assert.True(negative == (HttpStatusCode)422, negativeBody.ToJsonString());
        Assert.Contains("status: Invalid value: \"object\": ready is never negative", (string?)negativeBody["message"], StringComparison.Ordinal);
        Assert.True(ready == HttpStatusCode.OK, readyBody.ToJsonString());
        Assert.Equal(1, (int?)readyBody["status"]!["ready"]);
    }

    [Fact]
    public async Task Rules_are_not_run_over_values_of_the_wrong_type()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", """{"min": "one", "max": 2}""", apiVersion: apiVersion));

        Assert.True(status == (HttpStatusCode)422, body.ToJsonString());
        var fields = body["details"]!["causes"]!.AsArray().Select(c => (string?)c!["field"]).ToList();
        Assert.Equal(["spec.min", "<nil>"], fields);
        Assert.Contains("some validation rules were not checked because the object was invalid", (string?)body["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_format_duration_field_that_is_not_a_duration_is_refused_by_the_schema_before_any_rule()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var (path, apiVersion) = await Gadgets.InstallAsync(cluster, ns);
        var spec = """{"min": 1, "max": 2, "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "length": "soon"}}""";

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, path, Gadgets.New("gizmo", spec, apiVersion: apiVersion));

        Assert.True(status == (HttpStatusCode)422, body.ToJsonString());
        Assert.Contains("spec.window.length: Invalid value: \"soon\": spec.window.length in body must be of type duration: \"soon\"", (string?)body["message"], StringComparison.Ordinal);
        Assert.Contains("some validation rules were not checked", (string?)body["message"], StringComparison.Ordinal);
    }
}
