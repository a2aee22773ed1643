using System.Text.Json.Nodes;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>JSON merge patches the operator and the CLI send, built as JSON nodes (no reflection, so NativeAOT compiles them).</summary>
internal static class MergePatches
{
    /// <summary>Sets one annotation in the metadata found under <paramref name="under"/> (none: the object's own metadata);
    /// e.g. <c>("spec", "template")</c> for a workload's pod template.</summary>
    public static V1Patch SetAnnotation(string key, string value, params ReadOnlySpan<string> under)
    {
        JsonNode patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value } } };
        for (var i = under.Length - 1; i >= 0; i--)
        {
            patch = new JsonObject { [under[i]] = patch };
        }
        return new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
    }
}
