using System.Net;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>CRDs: served versions, structural-schema validation, defaults, pruning, tables, discovery.</summary>
public sealed class CustomResourceTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    public static TheoryData<string, string, string, string> InvalidSpecs => new()
    {
        { "a wrong type names the field and the type", """{"size":"three"}""", "spec.size", "must be of type integer" },
        { "a missing required field is Required", """{"color":"red"}""", "spec.size", "Required value" },
        { "a value outside an enum lists the supported values", """{"size":1,"color":"green"}""", "spec.color", "supported values" },
        { "a string that misses the pattern shows the pattern", """{"size":1,"ttl":"5m"}""", "spec.ttl", "should match" },
        { "a number under the minimum is rejected", """{"size":0}""", "spec.size", "greater than or equal to 1" },
        { "a number over the maximum is rejected", """{"size":11}""", "spec.size", "less than or equal to 10" },
        { "an exclusive minimum excludes the bound", """{"size":1,"weight":0}""", "spec.weight", "greater than 0" },
        { "an exclusive maximum excludes the bound", """{"size":1,"weight":100}""", "spec.weight", "less than 100" },
        { "a string shorter than minLength is rejected", """{"size":1,"label":"a"}""", "spec.label", "at least 2 chars" },
        { "a string longer than maxLength is rejected", """{"size":1,"label":"abcdef"}""", "spec.label", "Too long" },
        { "too few items is rejected", """{"size":1,"tags":[]}""", "spec.tags", "at least 1 items" },
        { "too many items is rejected", """{"size":1,"tags":["a","b","c"]}""", "spec.tags", "at most 2 items" },
        { "null is rejected where the schema is not nullable", """{"size":1,"label":null}""", "spec.label", "must be of type string" },
        { "additionalProperties schemas validate every value", """{"size":1,"limits":{"cpu":"lots"}}""", "spec.limits.cpu", "must be of type integer" },
        { "format date-time is checked", """{"size":1,"expires":"tomorrow"}""", "spec.expires", "date-time" },
        { "items are validated with their index in the path", """{"size":1,"tags":[5]}""", "spec.tags[0]", "must be of type string" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public async Task An_invalid_custom_resource_is_rejected_with_the_field_path(string because, string spec, string field, string messagePart)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, widgets.Path(ns), widgets.New("bad", (JsonObject)JsonNode.Parse(spec)!));

        Assert.True(status == (HttpStatusCode)422, $"{because}: {body.ToJsonString()}");
        Assert.Equal("Invalid", (string?)body["reason"]);
        var causes = body["details"]!["causes"]!.AsArray();
        Assert.Contains(causes, c => (string?)c!["field"] == field);
        Assert.Contains(messagePart, (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Api.GetAsync(widgets.Path(ns, "bad"))).Status);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Nullable_fields_accept_null(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, widgets.Path(ns), widgets.New("n", new JsonObject { ["size"] = 1, ["note"] = null }));

        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Defaults_are_applied_and_unknown_fields_are_pruned_unless_preserved(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);

        var created = await widgets.CreateAsync(ns, "d", (JsonObject)JsonNode.Parse("""{"size":2,"unknown":"x","extra":{"anything":{"goes":1}}}""")!);

        var spec = created["spec"]!;
        Assert.Equal("red", (string?)spec["color"]);
        Assert.Equal("auto", (string?)spec["nested"]!["mode"]);
        Assert.Null(spec["unknown"]);
        Assert.Equal(1, (int?)spec["extra"]!["anything"]!["goes"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Strict_field_validation_rejects_unknown_fields_and_warn_mode_reports_them(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        var withUnknown = widgets.New("u", (JsonObject)JsonNode.Parse("""{"size":2,"unknown":"x"}""")!);

        var (strict, body) = await cluster.Api.SendAsync(HttpMethod.Post, widgets.Path(ns) + "?fieldValidation=Strict", withUnknown);

        Assert.Equal(HttpStatusCode.BadRequest, strict);
        Assert.Contains("unknown field \"spec.unknown\"", (string?)body["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_CRD_becomes_Established_and_its_group_appears_in_discovery_until_it_is_deleted(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var widgets = await Widgets.InstallAsync(cluster);

        var (_, crd) = await cluster.Api.GetAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{widgets.CrdName}");
        var (_, groups) = await cluster.Api.GetAsync("/apis");
        var (_, resources) = await cluster.Api.GetAsync($"/apis/{widgets.Group}/v1");

        var conditions = crd["status"]!["conditions"]!.AsArray();
        Assert.Contains(conditions, c => (string?)c!["type"] == "Established" && (string?)c["status"] == "True");
        Assert.Contains(conditions, c => (string?)c!["type"] == "NamesAccepted" && (string?)c["status"] == "True");
        Assert.Contains(groups["groups"]!.AsArray(), g => (string?)g!["name"] == widgets.Group);
        var widgetResource = resources["resources"]!.AsArray().Single(r => (string?)r!["name"] == "widgets")!;
        Assert.Equal("Widget", (string?)widgetResource["kind"]);
        Assert.True((bool)widgetResource["namespaced"]!);
        Assert.Equal(["wdg"], widgetResource["shortNames"]!.AsArray().Select(s => (string?)s));
        Assert.Contains(resources["resources"]!.AsArray(), r => (string?)r!["name"] == "widgets/status");

        await cluster.Api.SendAsync(HttpMethod.Delete, $"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{widgets.CrdName}");

        await Eventually.TrueAsync(async () => (await cluster.Api.GetAsync($"/apis/{widgets.Group}/v1")).Status == HttpStatusCode.NotFound, TimeSpan.FromMinutes(1));
        var (_, after) = await cluster.Api.GetAsync("/apis");
        Assert.DoesNotContain(after["groups"]!.AsArray(), g => (string?)g!["name"] == widgets.Group);
    }

    [Fact]
    public async Task Deleting_a_CRD_deletes_its_custom_resources()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await widgets.CreateAsync(ns, "gone");

        await cluster.Api.SendAsync(HttpMethod.Delete, $"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{widgets.CrdName}");
        var again = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgets.Definition());

        Assert.Equal(HttpStatusCode.Created, again.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Api.GetAsync(widgets.Path(ns, "gone"))).Status);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Every_served_version_reads_the_same_objects_and_unserved_ones_are_not_served(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = new Widgets(cluster, $"w{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev");
        cluster.DeleteAtEnd(widgets.CrdName);
        var definition = widgets.Definition();
        var v1 = definition["spec"]!["versions"]![0]!;
        var alpha = v1.DeepClone();
        alpha["name"] = "v1alpha1";
        alpha["storage"] = false;
        var retired = alpha.DeepClone();
        retired["name"] = "v0";
        retired["served"] = false;
        definition["spec"]!["versions"] = new JsonArray(alpha, v1.DeepClone(), retired);
        await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", definition);
        await Eventually.TrueAsync(async () => (await cluster.Api.GetAsync($"/apis/{widgets.Group}/v1")).Status == HttpStatusCode.OK);
        await widgets.CreateAsync(ns, "both");

        var (status, viaAlpha) = await cluster.Api.GetAsync($"/apis/{widgets.Group}/v1alpha1/namespaces/{ns}/widgets/both");
        var (retiredStatus, _) = await cluster.Api.GetAsync($"/apis/{widgets.Group}/v0/namespaces/{ns}/widgets/both");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"{widgets.Group}/v1alpha1", (string?)viaAlpha["apiVersion"]);
        Assert.Equal(3, (int?)viaAlpha["spec"]!["size"]);
        Assert.Equal(HttpStatusCode.NotFound, retiredStatus);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_CRD_whose_name_does_not_match_its_names_is_Invalid(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var widgets = new Widgets(cluster, $"w{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev");
        var definition = widgets.Definition();
        definition["metadata"]!["name"] = "wrong.name.dev";

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", definition);

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Contains(body["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == "metadata.name");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Tables_render_a_CRDs_printer_columns(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await widgets.CreateAsync(ns, "t", new JsonObject { ["size"] = 7 });
        await cluster.Api.SendAsync(HttpMethod.Patch, widgets.Path(ns, "t", "status"),
            JsonNode.Parse("""{"status":{"conditions":[{"type":"Other","status":"False"},{"type":"Ready","status":"True"}]}}"""), "application/merge-patch+json");

        var (_, table) = await cluster.Api.GetAsync(widgets.Path(ns), accept: "application/json;as=Table;v=v1;g=meta.k8s.io");

        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal(["Name", "Size", "Ready", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]));
        var cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("t", (string?)cells[0]);
        Assert.Equal(7, (int?)cells[1]);
        Assert.Equal("True", (string?)cells[2]);
        Assert.Matches("^[0-9]+s$", (string?)cells[3]);
        Assert.Equal("t", (string?)table["rows"]![0]!["object"]!["metadata"]!["name"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Tables_for_secrets_show_type_and_data_count(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/secrets",
            JsonNode.Parse("""{"metadata":{"name":"two"},"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}"""));

        var (_, table) = await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/secrets/two", accept: "application/json;as=Table;v=v1;g=meta.k8s.io");

        Assert.Equal(["Name", "Type", "Data", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]));
        var cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("kubernetes.io/tls", (string?)cells[1]);
        Assert.Equal(2, (int?)cells[2]);
    }
}
