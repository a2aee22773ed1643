using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;

namespace Sigil.LocalControlPlane.Discovery;

/// <summary>
/// A minimal OpenAPI v3 index and per-group-version documents. kubectl and helm read them for one thing
/// that matters here: whether PATCH on a kind accepts the <c>fieldValidation</c> query parameter, in
/// which case they validate server-side instead of downloading full schemas. No component schemas are
/// served, so clients fall back to their compiled-in knowledge of built-in kinds.
/// </summary>
internal static class OpenApiDocuments
{
    public static JsonObject Index(ResourceCatalog catalog) => new()
    {
        ["paths"] = new JsonObject(catalog.All.Select(r => GroupVersionPath(r)).Distinct()
            .Select(p => KeyValuePair.Create(p, (JsonNode?)new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{p}" }))),
    };

    public static JsonObject? GroupVersion(ResourceCatalog catalog, string groupVersionPath)
    {
        var resources = catalog.All.Where(r => GroupVersionPath(r) == groupVersionPath).ToList();
        if (resources.Count == 0)
        {
            return null;
        }
        var paths = new JsonObject();
        foreach (var r in resources)
        {
            var prefix = "/" + groupVersionPath + (r.Namespaced ? "/namespaces/{namespace}/" : "/") + r.Plural + "/{name}";
            paths[prefix] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{r.Kind}",
                    ["parameters"] = new JsonArray(
                        Parameter("dryRun"), Parameter("fieldManager"), Parameter("fieldValidation"), Parameter("force")),
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (sigil local control plane)", ["version"] = DiscoveryDocuments.KubernetesVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static string GroupVersionPath(ResourceType r) => r.Group.Length == 0 ? $"api/{r.Version}" : $"apis/{r.Group}/{r.Version}";

    private static JsonObject Parameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };
}
