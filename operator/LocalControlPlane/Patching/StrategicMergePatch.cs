using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Patching;

/// <summary>
/// Strategic merge patch for built-in kinds, as far as <c>kubectl apply</c>, <c>kubectl patch</c> and
/// <c>helm upgrade</c> use it: lists of containers, env, ports, volumes and mounts merge by their keys,
/// and the <c>$patch</c>, <c>$setElementOrder</c>, <c>$deleteFromPrimitiveList</c> and <c>$retainKeys</c>
/// directives are honoured. Which lists merge, and by which key, comes from the Kubernetes types' own
/// <c>+patchStrategy</c> and <c>+patchMergeKey</c> markers, read from the schemas built from generated.proto.
/// </summary>
internal static class StrategicMergePatch
{
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="target"/>, with list strategies from <paramref name="schema"/>.</summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch, ApplySchema schema) => MergeObject(target.Clone(), patch, schema, []);

    private static JsonObject MergeObject(JsonObject target, JsonObject patch, ApplySchema schema, List<string> path)
    {
        var directive = patch.Str("$patch");
        if (directive == "replace")
        {
            var replacement = patch.Clone();
            replacement.Remove("$patch");
            return replacement;
        }
        if (directive is not null and not "merge")
        {
            throw ApiException.BadRequest($"unknown patch directive \"$patch: {directive}\" at {string.Join('.', path)}");
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (target[field] is JsonArray list && value is JsonArray drop)
                {
                    target[field] = new JsonArray(list.Where(i => !drop.Any(d => JsonNode.DeepEquals(d, i))).Select(i => i?.DeepClone()).ToArray());
                }
                continue;
            }
            if (key.StartsWith('$'))
            {
                continue;
            }
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            var childPath = new List<string>(path) { key };
            target[key] = (target[key], value) switch
            {
                (JsonObject current, JsonObject p) when p.Str("$patch") == "delete" => null,
                (JsonObject current, JsonObject p) => MergeObject(current, p, schema.Field(key), childPath),
                (JsonArray current, JsonArray p) => MergeList(current, p, schema.Field(key), childPath),
                (_, JsonObject p) when p.Str("$patch") == "delete" => null,
                (_, JsonObject p) => MergeObject([], p, schema.Field(key), childPath),
                (_, JsonArray p) => MergeList([], p, schema.Field(key), childPath),
                _ => value.DeepClone(),
            };
            if (target[key] is null && value is JsonObject)
            {
                target.Remove(key);
            }
        }

        foreach (var (key, value) in patch.Where(p => p.Key.StartsWith(SetElementOrder, StringComparison.Ordinal)).ToList())
        {
            var field = key[SetElementOrder.Length..];
            if (target[field] is JsonArray list && value is JsonArray order)
            {
                target[field] = Reorder(list, order, schema.Field(field).Patch.MergeKey);
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(Json.ScalarText).ToHashSet();
            foreach (var k in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(k);
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, ApplySchema schema, List<string> path)
    {
        if (patch.Any(i => i is JsonObject o && o.Count == 1 && o.Str("$patch") == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.Str("$patch") == "replace")).Select(i => i?.DeepClone()).ToArray());
        }
        var (merges, mergeKey) = schema.Patch;
        if (!merges || mergeKey is null)
        {
            if (merges)
            {
                var union = target.Select(i => i?.DeepClone()).ToList();
                union.AddRange(patch.Where(p => !target.Any(t => JsonNode.DeepEquals(t, p))).Select(p => p?.DeepClone()));
                return new JsonArray(union.ToArray());
            }
            return (JsonArray)patch.DeepClone();
        }

        var result = target.Select(i => i?.DeepClone()).ToList();
        foreach (var item in patch.OfType<JsonObject>())
        {
            var keyValue = item[mergeKey];
            var index = result.FindIndex(r => r is JsonObject o && JsonNode.DeepEquals(o[mergeKey], keyValue));
            if (item.Str("$patch") == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }
                continue;
            }
            if (index >= 0)
            {
                result[index] = MergeObject((JsonObject)result[index]!, item, schema.Items, path);
            }
            else
            {
                result.Add(MergeObject([], item, schema.Items, path));
            }
        }
        return new JsonArray(result.ToArray());
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        JsonNode? Identity(JsonNode? n) => mergeKey is not null && n is JsonObject o ? o[mergeKey] : n;
        var ordered = new List<JsonNode?>();
        var remaining = list.Select(i => i?.DeepClone()).ToList();
        foreach (var wanted in order)
        {
            var index = remaining.FindIndex(r => JsonNode.DeepEquals(Identity(r), Identity(wanted)));
            if (index >= 0)
            {
                ordered.Add(remaining[index]);
                remaining.RemoveAt(index);
            }
        }
        ordered.AddRange(remaining);
        return new JsonArray(ordered.ToArray());
    }
}
