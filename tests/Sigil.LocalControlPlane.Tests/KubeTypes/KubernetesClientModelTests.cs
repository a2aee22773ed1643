using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Discovery;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

/// <summary>
/// The schemas built from the proto definitions, checked against a consumer we did not write: KubernetesClient's
/// models, generated from kube-apiserver's own OpenAPI. Every JSON property a model has must be in our schema, which
/// catches what the proto cannot say (structs embedded inline, like a Probe's httpGet).
/// </summary>
public sealed class KubernetesClientModelTests
{
    private static readonly Assembly Models = typeof(k8s.Models.V1Pod).Assembly;

    [Fact]
    public void Every_property_of_every_KubernetesClient_model_of_a_served_kind_is_in_its_schema()
    {
        var catalog = new ResourceCatalog();
        var schemas = catalog.All.Where(r => r.IsBuiltIn)
            .Select(r => r.Group.Length == 0 ? $"api/{r.Version}" : $"apis/{r.Group}/{r.Version}").Distinct()
            .SelectMany(gv => OpenApiDocuments.GroupVersion(catalog, gv)!["components"]!["schemas"]!.AsObject())
            .DistinctBy(s => s.Key)
            .ToList();
        var missing = new List<string>();
        var compared = 0;

        foreach (var (name, schema) in schemas)
        {
            if (schema!["properties"] is not JsonObject properties || Model(name) is not { } model)
            {
                continue;
            }
            compared++;
            foreach (var property in model.GetProperties())
            {
                if (property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name is { } json && !properties.ContainsKey(json))
                {
                    missing.Add($"{name}.{json}");
                }
            }
        }

        Assert.True(compared > 100, $"only {compared} schemas had a model to compare with");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    // io.k8s.api.apps.v1.Deployment is V1Deployment; a name two groups share takes its group: Eventsv1Event, Corev1Event.
    private static Type? Model(string schemaName)
    {
        var parts = schemaName.Split('.');
        var (group, version, kind) = (parts[^3], parts[^2], parts[^1]);
        var versionPrefix = char.ToUpperInvariant(version[0]) + version[1..];
        return Models.GetType($"k8s.Models.{char.ToUpperInvariant(group[0])}{group[1..]}{version}{kind}")
            ?? Models.GetType($"k8s.Models.{versionPrefix}{kind}");
    }
}
