using System.Net;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>
/// A test CRD ("Gadget") whose schema carries x-kubernetes-validations at every place kube-apiserver evaluates them:
/// the root, nested objects, list items, map values, a transition rule (oldSelf) on a field and on the items of a
/// list-type map list, messageExpression, fieldPath with reason, format duration and date-time, and the status.
/// </summary>
internal static class Gadgets
{
    public const string Schema = """
        {
          "type": "object",
          "x-kubernetes-validations": [
            {"rule": "self.metadata.name.startsWith('g')", "message": "gadget names start with g"}
          ],
          "properties": {
            "spec": {
              "type": "object",
              "x-kubernetes-validations": [
                {"rule": "self.min <= self.max", "messageExpression": "'min ' + string(self.min) + ' is above max ' + string(self.max)"},
                {"rule": "!has(self.mode) || self.mode != 'off' || !has(self.window)", "message": "a window is forbidden when mode is off",
                 "fieldPath": ".window", "reason": "FieldValueForbidden"}
              ],
              "properties": {
                "min": {"type": "integer"},
                "max": {"type": "integer"},
                "replicas": {"type": "integer", "x-kubernetes-validations": [{"rule": "self >= oldSelf", "message": "replicas may not shrink"}]},
                "mode": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "mode is immutable"}]},
                "window": {
                  "type": "object",
                  "x-kubernetes-validations": [
                    {"rule": "self.start < self.end", "message": "a window ends after it starts"},
                    {"rule": "!has(self.length) || self.length <= duration('24h')", "message": "a window lasts at most a day"}
                  ],
                  "properties": {
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time"},
                    "length": {"type": "string", "format": "duration"}
                  }
                },
                "ports": {
                  "type": "array",
                  "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  "x-kubernetes-validations": [{"rule": "self.map(p, p.port).isSorted()", "message": "ports are listed in order"}],
                  "items": {
                    "type": "object",
                    "required": ["name", "port"],
                    "x-kubernetes-validations": [
                      {"rule": "self.port > 1024 || self.name.startsWith('priv-')", "message": "ports up to 1024 need a priv- name"},
                      {"rule": "self.port == oldSelf.port", "message": "a named port keeps its number"}
                    ],
                    "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}
                  }
                },
                "labels": {
                  "type": "object",
                  "additionalProperties": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() <= 5", "message": "label values are at most 5 characters"}]}
                },
                "hosts": {
                  "type": "array",
                  "maxItems": 16,
                  "items": {"type": "string", "maxLength": 253},
                  "x-kubernetes-validations": [{"rule": "self.all(h, isURL('https://' + h) && h.lowerAscii() == h)"}]
                }
              }
            },
            "status": {
              "type": "object",
              "x-kubernetes-validations": [{"rule": "self.ready >= 0", "message": "ready is never negative"}],
              "properties": {"ready": {"type": "integer"}}
            }
          }
        }
        """;

    public static JsonObject SchemaObject => (JsonObject)JsonNode.Parse(Schema)!;

    public static JsonObject Definition(string group, JsonObject? schema = null) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"gadgets.{group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = group,
            ["scope"] = "Namespaced",
            ["names"] = new JsonObject { ["plural"] = "gadgets", ["singular"] = "gadget", ["kind"] = "Gadget" },
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1",
                ["served"] = true,
                ["storage"] = true,
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["schema"] = new JsonObject { ["openAPIV3Schema"] = schema ?? SchemaObject },
            }),
        },
    };

    /// <summary>Installs the Gadget CRD in a group unique to the test; returns the collection path in <paramref name="ns"/> and the apiVersion.</summary>
    public static async Task<(string Path, string ApiVersion)> InstallAsync(TestCluster cluster, string ns)
    {
        var group = $"g{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev";
        cluster.DeleteAtEnd($"gadgets.{group}");
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Definition(group));
        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        var path = $"/apis/{group}/v1/namespaces/{ns}/gadgets";
        await Eventually.TrueAsync(async () => (await cluster.Api.GetAsync(path)).Status == HttpStatusCode.OK, because: $"gadgets.{group} is never served");
        return (path, $"{group}/v1");
    }

    public static JsonObject New(string name, string spec, string? status = null, string apiVersion = "sigil-test.dev/v1")
    {
        var gadget = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = "Gadget",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = JsonNode.Parse(spec),
        };
        if (status is not null)
        {
            gadget["status"] = JsonNode.Parse(status);
        }
        return gadget;
    }
}
