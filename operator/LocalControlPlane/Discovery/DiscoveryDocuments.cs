using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;

namespace Sigil.LocalControlPlane.Discovery;

/// <summary>
/// The legacy (unaggregated) discovery documents. Clients that ask for aggregated discovery
/// (apidiscovery.k8s.io/v2) get these with a plain application/json type and fall back to them.
/// </summary>
internal static class DiscoveryDocuments
{
    public const string KubernetesVersion = "v1.32.0";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = KubernetesVersion + "+sigil-local",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceCatalog catalog) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups(catalog).Select(g => (JsonNode)g).ToArray()),
    };

    public static JsonObject? Group(ResourceCatalog catalog, string name) => Groups(catalog).FirstOrDefault(g => (string?)g["name"] == name);

    public static JsonObject? ResourceList(ResourceCatalog catalog, string group, string version)
    {
        var resources = catalog.All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
        {
            return null;
        }
        var entries = new JsonArray();
        foreach (var r in resources)
        {
            entries.Add(new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = new JsonArray(r.Verbs.Select(v => (JsonNode?)v).ToArray()),
                ["shortNames"] = r.ShortNames.Count > 0 ? new JsonArray(r.ShortNames.Select(s => (JsonNode?)s).ToArray()) : null,
                ["categories"] = r.Categories.Count > 0 ? new JsonArray(r.Categories.Select(s => (JsonNode?)s).ToArray()) : null,
            });
            if (r.HasStatus)
            {
                entries.Add(new JsonObject
                {
                    ["name"] = r.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = r.Namespaced,
                    ["kind"] = r.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = entries,
        };
    }

    private static IEnumerable<JsonObject> Groups(ResourceCatalog catalog) =>
        catalog.All.Where(r => r.Group.Length > 0).GroupBy(r => r.Group).Select(g =>
        {
            var versions = g.Select(r => r.Version).Distinct().Select(v => new JsonObject { ["groupVersion"] = $"{g.Key}/{v}", ["version"] = v }).ToList();
            return new JsonObject
            {
                ["kind"] = "APIGroup",
                ["apiVersion"] = "v1",
                ["name"] = g.Key,
                ["versions"] = new JsonArray(versions.Select(v => (JsonNode)v).ToArray()),
                ["preferredVersion"] = versions[0].DeepClone(),
            };
        });
}
