using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.KubeTypes;

namespace Sigil.LocalControlPlane.Discovery;

/// <summary>
/// The OpenAPI v3 index and one document per group-version, as kube-apiserver serves them. Each document holds
/// <c>components.schemas</c> for its kinds and everything they reference: built-in kinds from Kubernetes' own
/// definitions (<see cref="KubeOpenApiSchemas"/>), custom resources from their CRD's openAPIV3Schema, so
/// <c>kubectl explain</c> works on both. The index names each document with a hash of its content, which changes
/// whenever a CRD is added, changed or removed, so clients that cache by URL fetch the new one.
/// The <c>paths</c> hold one PATCH operation per resource, with the <c>fieldValidation</c> parameter: kubectl and
/// helm look for it to decide to validate server-side.
/// </summary>
internal static class OpenApiDocuments
{
    private static readonly ConcurrentDictionary<string, (string Text, string Hash)> BuiltInDocuments = new(StringComparer.Ordinal);

    public static JsonObject Index(ResourceCatalog catalog) => new()
    {
        ["paths"] = new JsonObject(catalog.All.Select(GroupVersionPath).Distinct().Order(StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p, (JsonNode?)new JsonObject
            {
                ["serverRelativeURL"] = $"/openapi/v3/{p}?hash={Render(catalog, p)!.Value.Hash}",
            }))),
    };

    public static JsonObject? GroupVersion(ResourceCatalog catalog, string groupVersionPath) =>
        Render(catalog, groupVersionPath) is { } document ? JsonNode.Parse(document.Text)!.AsObject() : null;

    private static (string Text, string Hash)? Render(ResourceCatalog catalog, string groupVersionPath)
    {
        var resources = catalog.All.Where(r => GroupVersionPath(r) == groupVersionPath).ToList();
        if (resources.Count == 0)
        {
            return null;
        }
        // Built-in group-versions never change while running; custom ones are rebuilt, so a changed CRD shows at once.
        return resources.All(r => r.IsBuiltIn)
            ? BuiltInDocuments.GetOrAdd(groupVersionPath + "|" + string.Join(',', resources.Select(r => r.Plural)), _ => Serialize(Build(resources, groupVersionPath)))
            : Serialize(Build(resources, groupVersionPath));
    }

    private static (string Text, string Hash) Serialize(JsonObject document)
    {
        var text = document.ToJsonString();
        return (text, Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(text))));
    }

    private static JsonObject Build(List<ResourceType> resources, string groupVersionPath)
    {
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
                    // An operation names one kind (an object, as kubectl's query-parameter check reads it); a schema lists them.
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
                },
            };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (sigil local control plane)", ["version"] = DiscoveryDocuments.KubernetesVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = Schemas(resources) },
        };
    }

    private static JsonObject Schemas(List<ResourceType> resources)
    {
        var descriptors = KubeTypeDescriptors.Instance;
        var roots = new List<(MessageDescriptor, IReadOnlyList<(string, string, string)>)>();
        foreach (var r in resources.Where(r => r.IsBuiltIn))
        {
            foreach (var kind in new[] { r.Kind, r.ListKind })
            {
                if (descriptors.FindKind(r.Group, r.Version, kind) is { } message)
                {
                    roots.Add((message, [(r.Group, r.Version, kind)]));
                }
            }
        }
        var custom = resources.Where(r => !r.IsBuiltIn).ToList();
        if (custom.Count > 0)
        {
            roots.Add((descriptors.Messages[$"{KubeTypeDescriptors.MetaPackage}.ObjectMeta"], []));
            roots.Add((descriptors.Messages[$"{KubeTypeDescriptors.MetaPackage}.ListMeta"], []));
        }
        var schemas = KubeOpenApiSchemas.ClosureOf(roots);
        foreach (var r in custom)
        {
            var name = CustomResourceSchemaName(r.Group, r.Version, r.Kind);
            schemas[name] = CustomResourceSchema(r);
            schemas[name + "List"] = CustomResourceListSchema(r, name);
        }
        return schemas;
    }

    /// <summary>kube-apiserver's name for a custom kind's schema: sigil.dev/v1alpha1 ServiceIdentity is dev.sigil.v1alpha1.ServiceIdentity.</summary>
    public static string CustomResourceSchemaName(string group, string version, string kind) =>
        $"{string.Join('.', group.Split('.').Reverse())}.{version}.{kind}";

    private static JsonObject CustomResourceSchema(ResourceType r)
    {
        var schema = r.Schema?.DeepClone().AsObject() ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        var properties = schema["properties"] as JsonObject ?? (JsonObject)(schema["properties"] = new JsonObject());
        properties["apiVersion"] = ApiVersionProperty();
        properties["kind"] = KindProperty();
        properties["metadata"] = Reference($"{KubeTypeDescriptors.MetaPackage}.ObjectMeta",
            "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
        schema["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.Kind);
        return schema;
    }

    private static JsonObject CustomResourceListSchema(ResourceType r, string itemSchema) => new()
    {
        ["description"] = $"{r.ListKind} is a list of {r.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = ApiVersionProperty(),
            ["items"] = new JsonObject
            {
                ["description"] = $"List of {r.Plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                ["type"] = "array",
                ["items"] = new JsonObject { ["$ref"] = KubeOpenApiSchemas.RefPrefix + itemSchema },
            },
            ["kind"] = KindProperty(),
            ["metadata"] = Reference($"{KubeTypeDescriptors.MetaPackage}.ListMeta",
                "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
        },
        ["x-kubernetes-group-version-kind"] = Gvk(r.Group, r.Version, r.ListKind),
    };

    private static JsonObject ApiVersionProperty() => new()
    {
        ["description"] = KubeOpenApiSchemas.ApiVersionDescription,
        ["type"] = "string",
    };

    private static JsonObject KindProperty() => new()
    {
        ["description"] = KubeOpenApiSchemas.KindDescription,
        ["type"] = "string",
    };

    private static JsonObject Reference(string protoFullName, string description) => new()
    {
        ["description"] = description,
        ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = KubeOpenApiSchemas.RefPrefix + KubeOpenApiSchemas.ComponentName(protoFullName) }),
    };

    private static JsonArray Gvk(string group, string version, string kind) =>
        new(new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version });

    private static string GroupVersionPath(ResourceType r) => r.Group.Length == 0 ? $"api/{r.Version}" : $"apis/{r.Group}/{r.Version}";

    private static JsonObject Parameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };
}
