using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Apply;

/// <summary>Server-side apply through KubernetesClient and plain HTTP: the Status answers and options kube-apiserver gives.</summary>
public sealed class ServerSideApplyApiTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private const string ApplyPatch = "application/apply-patch+yaml";

    private static string ConfigMapYaml(string ns, string value) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: {ns}
        data:
          greeting: "{value}"
          count: "2"
        """;

    private static JsonObject ConfigMapJson(string ns, JsonObject data, string? resourceVersion = null)
    {
        var metadata = new JsonObject { ["name"] = "settings", ["namespace"] = ns };
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = metadata, ["data"] = data };
    }

    private static string ConfigMapPath(string ns, string query) => $"/api/v1/namespaces/{ns}/configmaps/settings?{query}";

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_typed_client_applies_a_configuration_that_creates_and_then_updates(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        // KubernetesClient writes a string patch as raw JSON, so its configuration is YAML's JSON form.
        static V1Patch Config(string ns, string greeting) =>
            new(ConfigMapJson(ns, new JsonObject { ["greeting"] = greeting, ["count"] = "2" }).ToJsonString(), V1Patch.PatchType.ApplyPatch);

        var created = await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(Config(ns, "hello"), "settings", ns, fieldManager: "x");
        var updated = await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(Config(ns, "hi"), "settings", ns, fieldManager: "x");

        Assert.Equal("hello", created.Data["greeting"]);
        Assert.Equal("2", created.Data["count"]);
        Assert.Equal("hi", updated.Data["greeting"]);
        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);
        var entry = Assert.Single(updated.Metadata.ManagedFields);
        Assert.Equal(("x", "Apply", "v1", "FieldsV1"), (entry.Manager, entry.Operation, entry.ApiVersion, entry.FieldsType));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_YAML_configuration_is_applied_with_its_scalars_typed_as_YAML_types_them(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var (status, body) = await cluster.Api.SendTextAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapYaml(ns, "hello"), ApplyPatch);
        var (badStatus, badBody) = await cluster.Api.SendTextAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), "data: [unclosed", ApplyPatch);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("hello", (string?)body["data"]?["greeting"]);
        Assert.Equal("2", (string?)body["data"]?["count"]);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("Failure", (string?)badBody["status"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Apply_on_a_missing_object_answers_201_with_the_object(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "1" }), ApplyPatch);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("1", (string?)body["data"]?["a"]);
        Assert.False(string.IsNullOrEmpty((string?)body["metadata"]?["uid"]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Apply_without_a_field_manager_is_refused_as_invalid_patch_options(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var (code, status) = await ApiErrors.CatchAsync(() =>
            cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(ConfigMapJson(ns, new JsonObject { ["a"] = "1" }).ToJsonString(), V1Patch.PatchType.ApplyPatch), "settings", ns));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Contains("fieldManager: Required value: is required for apply patch", (string?)status["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Force_on_a_patch_that_is_not_an_apply_is_refused(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, ns);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "force=true"), JsonNode.Parse("""{"data":{"a":"1"}}"""), "application/merge-patch+json");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("force: Forbidden: may not be specified for non-apply patch", (string?)body["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_update_takes_ownership_and_the_next_apply_of_another_value_conflicts_with_it(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=applier"), ConfigMapJson(ns, new JsonObject { ["a"] = "1", ["b"] = "1" }), ApplyPatch);

        var (patched, _) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=editor"), JsonNode.Parse("""{"data":{"a":"2"}}"""), "application/merge-patch+json");
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=applier"), ConfigMapJson(ns, new JsonObject { ["a"] = "1", ["b"] = "1" }), ApplyPatch);
        var (forced, forcedBody) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=applier&force=true"), ConfigMapJson(ns, new JsonObject { ["a"] = "1", ["b"] = "1" }), ApplyPatch);

        Assert.Equal(HttpStatusCode.OK, patched);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("Conflict", (string?)body["reason"]);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a", (string?)body["message"]);
        var cause = Assert.Single(body["details"]!["causes"]!.AsArray())!;
        Assert.Equal(("FieldManagerConflict", "conflict with \"editor\" using v1", ".data.a"), ((string?)cause["reason"], (string?)cause["message"], (string?)cause["field"]));
        Assert.Equal(HttpStatusCode.OK, forced);
        Assert.Equal("1", (string?)forcedBody["data"]?["a"]);
        Assert.DoesNotContain(forcedBody["metadata"]!["managedFields"]!.AsArray(), e => (string?)e?["manager"] == "editor");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_apply_carrying_a_stale_resourceVersion_is_refused_with_a_conflict(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var (_, created) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "1" }), ApplyPatch);
        var version = (string)created["metadata"]!["resourceVersion"]!;
        await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "2" }), ApplyPatch);

        var (stale, body) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "3" }, version), ApplyPatch);
        var current = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);
        var (fresh, _) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "3" }, current.Metadata.ResourceVersion), ApplyPatch);

        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Contains("the object has been modified", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal("2", current.Data["a"]);
        Assert.Equal(HttpStatusCode.OK, fresh);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ManagedFields_are_cleared_with_a_single_empty_entry_and_refused_in_an_apply(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), ConfigMapJson(ns, new JsonObject { ["a"] = "1" }), ApplyPatch);

        var (cleared, clearedBody) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=y"), JsonNode.Parse("""{"metadata":{"managedFields":[{}]}}"""), "application/merge-patch+json");
        var withManagedFields = ConfigMapJson(ns, new JsonObject { ["a"] = "1" });
        withManagedFields["metadata"]!["managedFields"] = JsonNode.Parse("""[{"manager":"x","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{}}]""");
        var (refused, refusedBody) = await cluster.Api.SendAsync(HttpMethod.Patch, ConfigMapPath(ns, "fieldManager=x"), withManagedFields, ApplyPatch);

        Assert.Equal(HttpStatusCode.OK, cleared);
        Assert.Null(clearedBody["metadata"]!["managedFields"]);
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Contains("metadata.managedFields must be nil", (string?)refusedBody["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_status_apply_changes_only_status_and_is_recorded_for_the_status_subresource(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var gadgets = await Gadgets.InstallAsync(cluster);
        await cluster.Api.SendTextAsync(HttpMethod.Patch, gadgets.Path(ns, "g1") + "?fieldManager=owner", gadgets.Manifest(ns, "g1", ("a", 1)), ApplyPatch);

        var statusConfig = JsonNode.Parse($$$"""
            {"apiVersion":"{{{gadgets.Group}}}/v1","kind":"Gadget","metadata":{"name":"g1","namespace":"{{{ns}}}"},"spec":{"ports":[{"name":"z","port":9}]},"status":{"phase":"Ready"}}
            """);
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, gadgets.Path(ns, "g1", "status") + "?fieldManager=controller", statusConfig, ApplyPatch);

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("Ready", (string?)body["status"]?["phase"]);
        Assert.Equal("a", (string?)Assert.Single(body["spec"]!["ports"]!.AsArray())!["name"]);
        var entry = Assert.Single(body["metadata"]!["managedFields"]!.AsArray(), e => (string?)e?["manager"] == "controller")!;
        Assert.Equal("status", (string?)entry["subresource"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"f:status":{"f:phase":{}}}"""), entry["fieldsV1"]), entry.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Strict_field_validation_refuses_an_applied_field_the_schema_does_not_declare(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var gadgets = await Gadgets.InstallAsync(cluster);
        var config = JsonNode.Parse($$$"""
            {"apiVersion":"{{{gadgets.Group}}}/v1","kind":"Gadget","metadata":{"name":"g1","namespace":"{{{ns}}}"},"spec":{"bogus":1}}
            """);

        var (strict, body) = await cluster.Api.SendAsync(HttpMethod.Patch, gadgets.Path(ns, "g1") + "?fieldManager=x&fieldValidation=Strict", config, ApplyPatch);
        var (missing, _) = await cluster.Api.GetAsync(gadgets.Path(ns, "g1"));

        Assert.Equal(HttpStatusCode.BadRequest, strict);
        Assert.Contains("bogus", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_applied_field_the_schema_does_not_declare_is_dropped_and_owned_by_nobody(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var gadgets = await Gadgets.InstallAsync(cluster);
        var config = JsonNode.Parse($$$"""
            {"apiVersion":"{{{gadgets.Group}}}/v1","kind":"Gadget","metadata":{"name":"g1","namespace":"{{{ns}}}"},"spec":{"audiences":["a"],"bogus":1}}
            """);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, gadgets.Path(ns, "g1") + "?fieldManager=x", config, ApplyPatch);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Null(body["spec"]!["bogus"]);
        var entry = Assert.Single(body["metadata"]!["managedFields"]!.AsArray())!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"f:spec":{"f:audiences":{"v:\"a\"":{}}}}"""), entry["fieldsV1"]), entry.ToJsonString());
    }
}
