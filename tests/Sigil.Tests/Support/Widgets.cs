using System.Net;
using System.Text.Json.Nodes;

namespace Sigil.Tests.Support;

/// <summary>
/// A test CRD ("Widget") in a group unique to one test, so tests can run side by side on a shared
/// real cluster. Its schema exercises every structural-schema feature the emulator claims.
/// </summary>
internal sealed class Widgets(TestCluster cluster, string group)
{
    public string Group { get; } = group;
    public string CrdName => $"widgets.{Group}";
    public string ApiVersion => $"{Group}/v1";

    public static async Task<Widgets> InstallAsync(TestCluster cluster)
    {
        var widgets = new Widgets(cluster, $"w{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev");
        cluster.DeleteAtEnd(widgets.CrdName);
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgets.Definition());
        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        await widgets.WaitServedAsync();
        return widgets;
    }

    public string Path(string ns, string? name = null, string? subresource = null) =>
        $"/apis/{Group}/v1/namespaces/{ns}/widgets" + (name is null ? "" : $"/{name}") + (subresource is null ? "" : $"/{subresource}");

    public JsonObject New(string name, JsonObject? spec = null) => new()
    {
        ["apiVersion"] = ApiVersion,
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec ?? new JsonObject { ["size"] = 3 },
    };

    public async Task<JsonObject> CreateAsync(string ns, string name, JsonObject? spec = null)
    {
        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), New(name, spec));
        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    private async Task WaitServedAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            var (status, _) = await cluster.Api.GetAsync($"/apis/{Group}/v1");
            if (status == HttpStatusCode.OK)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{CrdName} was never served");
    }

    public JsonObject Definition() => (JsonObject)JsonNode.Parse("""
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": {"name": "CRD_NAME"},
          "spec": {
            "group": "GROUP_NAME",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wdg"], "categories": ["sigiltest"]},
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": {"status": {}},
              "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
              ],
              "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                  "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                      "size": {"type": "integer", "minimum": 1, "maximum": 10},
                      "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 100, "exclusiveMaximum": true},
                      "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                      "ttl": {"type": "string", "pattern": "^[0-9]+h$"},
                      "label": {"type": "string", "minLength": 2, "maxLength": 5},
                      "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
                      "note": {"type": "string", "nullable": true},
                      "expires": {"type": "string", "format": "date-time"},
                      "limits": {"type": "object", "additionalProperties": {"type": "integer"}},
                      "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                      "nested": {"type": "object", "properties": {"mode": {"type": "string", "default": "auto"}}, "default": {}}
                    }
                  },
                  "status": {
                    "type": "object",
                    "properties": {
                      "phase": {"type": "string"},
                      "conditions": {"type": "array", "items": {"type": "object", "properties": {"type": {"type": "string"}, "status": {"type": "string"}}}}
                    }
                  }
                }
              }}
            }]
          }
        }
        """.Replace("CRD_NAME", CrdName).Replace("GROUP_NAME", Group))!;
}
