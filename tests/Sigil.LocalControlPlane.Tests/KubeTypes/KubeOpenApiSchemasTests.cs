using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.KubeTypes;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

public sealed class KubeOpenApiSchemasTests
{
    private static JsonObject Schema(string protoFullName) =>
        KubeOpenApiSchemas.SchemaOf(KubeTypeDescriptors.Instance.Messages[protoFullName]);

    private static JsonNode Property(string protoFullName, string field) => Schema(protoFullName)["properties"]![field]!;

    [Fact]
    public void Pod_containers_are_a_list_map_keyed_by_name_merged_by_name()
    {
        var containers = Property("k8s.io.api.core.v1.PodSpec", "containers");

        Assert.Equal("array", (string?)containers["type"]);
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.Container", (string?)containers["items"]!["allOf"]![0]!["$ref"]);
        Assert.Equal("map", (string?)containers["x-kubernetes-list-type"]);
        Assert.Equal(["name"], containers["x-kubernetes-list-map-keys"]!.AsArray().Select(k => (string?)k));
        Assert.Equal("name", (string?)containers["x-kubernetes-patch-merge-key"]);
        Assert.Equal("merge", (string?)containers["x-kubernetes-patch-strategy"]);
        Assert.StartsWith("List of containers belonging to the pod.", (string?)containers["description"], StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_without_omitempty_in_Go_are_required_unless_marked_optional()
    {
        var podSpec = Schema("k8s.io.api.core.v1.PodSpec")["required"]!.AsArray().Select(r => (string?)r);
        var container = Schema("k8s.io.api.core.v1.Container")["required"]!.AsArray().Select(r => (string?)r);

        Assert.Equal(["containers"], podSpec);
        Assert.Equal(["name"], container);
        Assert.Null(Schema("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")["required"]);
    }

    [Fact]
    public void Pod_volumes_merge_retaining_keys()
    {
        var volumes = Property("k8s.io.api.core.v1.PodSpec", "volumes");

        Assert.Equal("map", (string?)volumes["x-kubernetes-list-type"]);
        Assert.Equal("merge,retainKeys", (string?)volumes["x-kubernetes-patch-strategy"]);
    }

    [Fact]
    public void Container_ports_are_keyed_by_port_and_protocol()
    {
        var ports = Property("k8s.io.api.core.v1.Container", "ports");

        Assert.Equal(["containerPort", "protocol"], ports["x-kubernetes-list-map-keys"]!.AsArray().Select(k => (string?)k));
    }

    [Fact]
    public void Markers_are_not_part_of_a_description()
    {
        var descriptions = KubeTypeDescriptors.Instance.Messages.Values
            .Select(KubeOpenApiSchemas.SchemaOf)
            .SelectMany(s => (s["properties"] as JsonObject ?? []).Select(p => (string?)p.Value!["description"]).Append((string?)s["description"]))
            .Where(d => d is not null);

        Assert.DoesNotContain(descriptions, d => d!.Contains("+listType", StringComparison.Ordinal) || d.Contains("+optional", StringComparison.Ordinal));
    }

    [Fact]
    public void Atomic_maps_and_structs_say_so()
    {
        var selector = Schema("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector");
        var matchLabels = Property("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector", "matchLabels");

        Assert.Equal("atomic", (string?)selector["x-kubernetes-map-type"]);
        Assert.Equal("object", (string?)matchLabels["type"]);
        Assert.Equal("string", (string?)matchLabels["additionalProperties"]!["type"]);
    }

    [Fact]
    public void Types_with_their_own_JSON_have_the_schemas_apimachinery_publishes()
    {
        var time = Schema("k8s.io.apimachinery.pkg.apis.meta.v1.Time");
        var micro = Schema("k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime");
        var intOrString = Schema("k8s.io.apimachinery.pkg.util.intstr.IntOrString");
        var quantity = Schema("k8s.io.apimachinery.pkg.api.resource.Quantity");
        var raw = Schema("k8s.io.apimachinery.pkg.runtime.RawExtension");

        Assert.Equal(("string", "date-time"), ((string?)time["type"], (string?)time["format"]));
        Assert.Equal(("string", "date-time"), ((string?)micro["type"], (string?)micro["format"]));
        Assert.True((bool)intOrString["x-kubernetes-int-or-string"]!);
        Assert.Null(intOrString["properties"]);
        Assert.Equal(["string", "number"], quantity["oneOf"]!.AsArray().Select(t => (string?)t!["type"]));
        Assert.Equal("object", (string?)raw["type"]);
        Assert.Null(raw["properties"]);
    }

    [Fact]
    public void Scalars_have_their_OpenAPI_types()
    {
        var secret = Schema("k8s.io.api.core.v1.Secret")["properties"]!;
        var spec = Schema("k8s.io.api.apps.v1.DeploymentSpec")["properties"]!;

        Assert.Equal("byte", (string?)secret["data"]!["additionalProperties"]!["format"]);
        Assert.Equal("boolean", (string?)secret["immutable"]!["type"]);
        Assert.Equal(("integer", "int32"), ((string?)spec["replicas"]!["type"], (string?)spec["replicas"]!["format"]));
    }

    [Fact]
    public void A_closure_holds_every_referenced_schema_and_marks_only_the_kinds()
    {
        var deployment = KubeTypeDescriptors.Instance.Messages["k8s.io.api.apps.v1.Deployment"];

        var schemas = KubeOpenApiSchemas.ClosureOf([(deployment, [("apps", "v1", "Deployment")])]);

        var references = schemas.SelectMany(s => References(s.Value!)).Distinct().ToList();
        Assert.All(references, r => Assert.True(schemas.ContainsKey(r), $"{r} is referenced but missing"));
        Assert.Contains("io.k8s.api.core.v1.Container", schemas.Select(s => s.Key));
        var gvk = Assert.Single(schemas["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"]!.AsArray())!;
        Assert.Equal(("apps", "v1", "Deployment"), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
        Assert.Null(schemas["io.k8s.api.apps.v1.DeploymentSpec"]!["x-kubernetes-group-version-kind"]);
        // The cached schema is not changed by marking a kind.
        Assert.Null(KubeOpenApiSchemas.SchemaOf(deployment)["x-kubernetes-group-version-kind"]);
    }

    private static IEnumerable<string> References(JsonNode node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "$ref" ? [((string)p.Value!)["#/components/schemas/".Length..]] : p.Value is null ? [] : References(p.Value)),
        JsonArray a => a.SelectMany(e => e is null ? [] : References(e)),
        _ => [],
    };
}
