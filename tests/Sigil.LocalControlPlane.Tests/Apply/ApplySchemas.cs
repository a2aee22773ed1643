using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;

namespace Sigil.LocalControlPlane.Tests.Apply;

/// <summary>Resource types for the apply unit tests: a built-in Deployment, and a custom Gadget whose schema uses every list and map type.</summary>
internal static class ApplySchemas
{
    public static readonly ResourceType Deployment = new("apps", "v1", "deployments", "deployment", "Deployment", true, "deployments") { HasStatus = true, TracksGeneration = true };

    public static readonly ResourceType Gadget = new("sigil-test.dev", "v1", "gadgets", "gadget", "Gadget", true, "gadgets.sigil-test.dev")
    {
        HasStatus = true,
        IsBuiltIn = false,
        Schema = JsonNode.Parse("""
            {
              "type": "object",
              "properties": {
                "spec": {
                  "type": "object",
                  "properties": {
                    "size": {"type": "integer"},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}},
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "items": {"type": "array", "items": {"type": "integer"}},
                    "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
                    "limits": {"type": "object", "additionalProperties": {"type": "object", "properties": {"max": {"type": "integer"}}}}
                  }
                },
                "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
              }
            }
            """)!.AsObject(),
    };
}
