using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Discovery;

namespace Sigil.LocalControlPlane.Tests.Discovery;

public sealed class OpenApiDocumentsTests
{
    private static ResourceType Gadget(string description) =>
        new("gadgets.example.com", "v1beta1", "gadgets", "gadget", "Gadget", true, "gadgets.gadgets.example.com")
        {
            IsBuiltIn = false,
            Schema = new JsonObject
            {
                ["type"] = "object",
                ["description"] = "A gadget.",
                ["properties"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject { ["size"] = new JsonObject { ["type"] = "integer", ["description"] = description } },
                    },
                },
            },
        };

    private static string Url(JsonObject index, string groupVersion) => (string)index["paths"]![groupVersion]!["serverRelativeURL"]!;

    [Fact]
    public void The_index_names_every_served_group_version_with_a_hash_of_its_document()
    {
        var index = OpenApiDocuments.Index(new ResourceCatalog());

        Assert.Matches(@"^/openapi/v3/api/v1\?hash=[0-9A-F]{128}$", Url(index, "api/v1"));
        Assert.Matches(@"^/openapi/v3/apis/apps/v1\?hash=[0-9A-F]{128}$", Url(index, "apis/apps/v1"));
        Assert.NotEqual(Url(index, "api/v1")[^128..], Url(index, "apis/apps/v1")[^128..]);
    }

    [Fact]
    public void A_CRD_added_changed_or_removed_changes_its_document_hash_and_no_other()
    {
        var catalog = new ResourceCatalog();
        var before = OpenApiDocuments.Index(catalog);
        catalog.SetCustom("gadgets.gadgets.example.com", [Gadget("How big.")]);
        var added = OpenApiDocuments.Index(catalog);
        catalog.SetCustom("gadgets.gadgets.example.com", [Gadget("How big, in inches.")]);
        var changed = OpenApiDocuments.Index(catalog);
        catalog.RemoveCustom("gadgets.gadgets.example.com");
        var removed = OpenApiDocuments.Index(catalog);

        Assert.Null(before["paths"]!["apis/gadgets.example.com/v1beta1"]);
        Assert.NotEqual(Url(added, "apis/gadgets.example.com/v1beta1"), Url(changed, "apis/gadgets.example.com/v1beta1"));
        Assert.Null(removed["paths"]!["apis/gadgets.example.com/v1beta1"]);
        Assert.Equal(Url(before, "api/v1"), Url(changed, "api/v1"));
    }

    [Fact]
    public void A_custom_kind_is_named_as_kube_apiserver_names_it_and_keeps_its_descriptions()
    {
        var catalog = new ResourceCatalog();
        catalog.SetCustom("gadgets.gadgets.example.com", [Gadget("How big.")]);

        var schemas = OpenApiDocuments.GroupVersion(catalog, "apis/gadgets.example.com/v1beta1")!["components"]!["schemas"]!;

        var gadget = schemas["com.example.gadgets.v1beta1.Gadget"]!;
        Assert.Equal("A gadget.", (string?)gadget["description"]);
        Assert.Equal("How big.", (string?)gadget["properties"]!["spec"]!["properties"]!["size"]!["description"]);
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", (string?)gadget["properties"]!["metadata"]!["allOf"]![0]!["$ref"]);
        Assert.Equal("Gadget", (string?)gadget["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.Equal("GadgetList", (string?)schemas["com.example.gadgets.v1beta1.GadgetList"]!["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.NotNull(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
        Assert.NotNull(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"]);
    }

    [Fact]
    public void A_built_in_document_has_its_kinds_and_lists_and_keeps_the_field_validation_parameter()
    {
        var document = OpenApiDocuments.GroupVersion(new ResourceCatalog(), "apis/apps/v1")!;

        var schemas = document["components"]!["schemas"]!;
        Assert.Equal("Deployment", (string?)schemas["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.Equal("DeploymentList", (string?)schemas["io.k8s.api.apps.v1.DeploymentList"]!["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.NotNull(schemas["io.k8s.api.core.v1.PodTemplateSpec"]);
        var patch = document["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.Contains(patch["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        Assert.Equal("Deployment", (string?)patch["x-kubernetes-group-version-kind"]!["kind"]);
    }
}
