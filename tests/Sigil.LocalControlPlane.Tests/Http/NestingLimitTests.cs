using System.Net;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;
using Sigil.Tests.Support;
using static Sigil.LocalControlPlane.Tests.KubeTypes.ProtoBodies;

namespace Sigil.LocalControlPlane.Tests.Http;

/// <summary>
/// One nesting limit for every request body, and responses that can always carry what was accepted: an object
/// stored 64 deep once turned every list of its kind into a 500, because a list wraps each object two levels deeper
/// than the response writer's default limit allowed.
/// </summary>
public sealed class NestingLimitTests
{
    private const string ApplyPatch = "application/apply-patch+yaml";
    private const string Protobuf = "application/vnd.kubernetes.protobuf";
    private const string Ext = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";

    /// <summary>A ConfigMap named deep whose field x holds lists nested until the whole object is <paramref name="depth"/> deep.</summary>
    private static string DeepConfigMapJson(string ns, int depth) =>
        $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","namespace":"{{ns}}"},"x":{{Lists(depth - 1)}}}""";

    private static string DeepConfigMapYaml(string ns, int depth) =>
        $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n  namespace: {ns}\nx: {Lists(depth - 1)}\n";

    private static string Lists(int count) => new string('[', count) + new string(']', count);

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static Task<(HttpStatusCode Status, JsonObject Body)> Write(TestCluster cluster, string how, string ns, int depth) => how switch
    {
        "a JSON create" => cluster.Api.SendTextAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", DeepConfigMapJson(ns, depth), "application/json"),
        "a YAML apply" => cluster.Api.SendTextAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/deep?fieldManager=x", DeepConfigMapYaml(ns, depth), ApplyPatch),
        "a JSON apply" => cluster.Api.SendTextAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/deep?fieldManager=x", DeepConfigMapJson(ns, depth), ApplyPatch),
        _ => throw new ArgumentException(how),
    };

    public static TheoryData<string> Writes => new() { "a JSON create", "a YAML apply", "a JSON apply" };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task An_object_nested_to_the_limit_can_be_listed_watched_and_deleted(string how)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var (_, before) = await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        var collection = $"/api/v1/namespaces/{ns}/configmaps";

        var (created, _) = await Write(cluster, how, ns, Json.MaxInputDepth);
        var (listed, list) = await cluster.Api.GetAsync(collection + "?fieldSelector=metadata.name%3Ddeep");
        var (tabled, table) = await cluster.Api.GetAsync(collection + "?includeObject=Object", "application/json;as=Table;v=1;g=meta.k8s.io");
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        JsonObject? added = null;
        await foreach (var e in cluster.Api.WatchAsync($"{collection}?watch=true&fieldSelector=metadata.name%3Ddeep&resourceVersion={before["metadata"]!["resourceVersion"]}", ct: giveUp.Token))
        {
            added = e;
            break;
        }
        var (deleted, gone) = await cluster.Api.SendAsync(HttpMethod.Delete, $"{collection}/deep");

        Assert.True(created is HttpStatusCode.Created, $"{how}: {created}");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal(Json.MaxInputDepth - 1, Depth(list["items"]![0]!["x"]));
        Assert.Equal(HttpStatusCode.OK, tabled);
        Assert.Equal("deep", (string?)table["rows"]![0]!["object"]!["metadata"]!["name"]);
        Assert.Equal("ADDED", (string?)added?["type"]);
        Assert.Equal(Json.MaxInputDepth - 1, Depth(added!["object"]!["x"]));
        Assert.Equal(HttpStatusCode.OK, deleted);
        Assert.Equal(Json.MaxInputDepth - 1, Depth(gone["x"]));
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task An_object_one_level_beyond_the_limit_is_a_400_and_lists_still_work(string how)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();

        var (status, error) = await Write(cluster, how, ns, Json.MaxInputDepth + 1);
        var (listed, _) = await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps");

        Assert.True(status is HttpStatusCode.BadRequest, $"{how}: {status} {error.ToJsonString()}");
        Assert.Equal("Status", (string?)error["kind"]);
        Assert.Equal(HttpStatusCode.OK, listed);
    }

    [Fact]
    public async Task A_JSON_patch_that_copies_a_deep_field_into_itself_is_a_400()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        await Write(cluster, "a JSON create", ns, 40);

        // The patch itself is shallow; it puts x's 39 lists inside the innermost of them, 79 levels in all.
        var innermost = "/x" + string.Concat(Enumerable.Repeat("/0", 39));
        var (status, error) = await cluster.Api.SendTextAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/deep",
            $$"""[{"op":"copy","from":"/x","path":"{{innermost}}"}]""", "application/json-patch+json");
        var (listed, _) = await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps");

        Assert.True(status is HttpStatusCode.BadRequest, $"{status} {error.ToJsonString()}");
        Assert.Equal(HttpStatusCode.OK, listed);
    }

    [Fact]
    public async Task JSON_patches_that_copy_a_field_set_into_itself_stop_at_a_400()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps/deep";
        await cluster.Api.SendTextAsync(HttpMethod.Patch, path + "?fieldManager=x",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","namespace":"{{{ns}}}"},"data":{"a":"1"}}""", ApplyPatch);
        var statuses = new List<HttpStatusCode>();

        // Each patch copies the whole field set into its own deepest map, doubling its depth, for as long as the server takes it.
        const string FieldSet = "/metadata/managedFields/0/fieldsV1";
        var deepest = "";
        for (var round = 0; round < 8; round++)
        {
            var (status, _) = await cluster.Api.SendTextAsync(HttpMethod.Patch, path,
                $$"""[{"op":"copy","from":"{{FieldSet}}","path":"{{FieldSet}}{{deepest}}/f:data/f:b"}]""", "application/json-patch+json");
            statuses.Add(status);
            deepest += "/f:data/f:b" + deepest;
        }
        var (listed, _) = await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps");

        Assert.True(statuses.Contains(HttpStatusCode.BadRequest), string.Join(",", statuses));
        Assert.Equal(HttpStatusCode.OK, listed);
    }

    [Fact]
    public async Task A_protobuf_body_whose_embedded_JSON_takes_it_beyond_the_limit_is_a_400()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        // Few protobuf messages deep, but the schema's example is JSON nested to the reader's limit, under six levels of CRD.
        var example = Message($"{Ext}.JSON", ("raw", System.Text.Encoding.UTF8.GetBytes(Lists(Json.MaxInputDepth))));
        var root = Message($"{Ext}.JSONSchemaProps", ("type", "object"), ("xKubernetesPreserveUnknownFields", true), ("example", example));
        var version = Message($"{Ext}.CustomResourceDefinitionVersion", ("name", "v1"), ("served", true), ("storage", true),
            ("schema", Message($"{Ext}.CustomResourceValidation", ("openAPIV3Schema", root))));
        var crd = Message($"{Ext}.CustomResourceDefinition",
            ("metadata", Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", ("name", "deeps.example.com"))),
            ("spec", Message($"{Ext}.CustomResourceDefinitionSpec", ("group", "example.com"), ("scope", "Namespaced"), ("versions", version),
                ("names", Message($"{Ext}.CustomResourceDefinitionNames", ("plural", "deeps"), ("kind", "Deep"))))));

        var (status, error) = await cluster.Api.SendBytesAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd), Protobuf);
        var (listed, _) = await cluster.Api.GetAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");

        Assert.True(status is HttpStatusCode.BadRequest, $"{status} {error.ToJsonString()}");
        Assert.Equal(HttpStatusCode.OK, listed);
    }
}
