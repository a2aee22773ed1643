using System.Net;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Apply;

/// <summary>A ServiceIdentity-like test CRD whose ports are a map list keyed by name.</summary>
internal sealed class Gadgets(string group)
{
    public string Group => group;

    public string Resource => $"gadgets.{group}";

    public string Path(string ns, string name, string? subresource = null) =>
        $"/apis/{group}/v1/namespaces/{ns}/gadgets/{name}" + (subresource is null ? "" : "/" + subresource);

    public static async Task<Gadgets> InstallAsync(TestCluster cluster)
    {
        var gadgets = new Gadgets($"g{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev");
        cluster.DeleteAtEnd(gadgets.Resource);
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", gadgets.Definition());
        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        await Eventually.TrueAsync(async () => (await cluster.Api.GetAsync($"/apis/{gadgets.Group}/v1")).Status == HttpStatusCode.OK);
        return gadgets;
    }

    public string Manifest(string ns, string name, params (string Name, int Port)[] ports) => $"""
        apiVersion: {group}/v1
        kind: Gadget
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          ports:
        {string.Concat(ports.Select(p => $"  - name: {p.Name}\n    port: {p.Port}\n"))}
        """;

    public JsonObject Definition() => (JsonObject)JsonNode.Parse("""
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": {"name": "gadgets.GROUP"},
          "spec": {
            "group": "GROUP",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": {"status": {}},
              "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                  "spec": {
                    "type": "object",
                    "properties": {
                      "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}
                      },
                      "audiences": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                      "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}}
                    }
                  },
                  "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
                }
              }}
            }]
          }
        }
        """.Replace("GROUP", group, StringComparison.Ordinal))!;
}
