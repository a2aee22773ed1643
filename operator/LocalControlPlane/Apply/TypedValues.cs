using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>What changed between two versions of an object, as field sets.</summary>
internal sealed record Comparison(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    public FieldSet Changed => Added.Union(Modified);
}

/// <summary>
/// structured-merge-diff's operations on objects, given their <see cref="ApplySchema"/>: the field set an
/// applied configuration names, the comparison of two versions, the merge of a configuration into a live
/// object, and the removal of fields a manager stopped applying. Pure functions over JSON.
/// </summary>
internal static class TypedValues
{
    /// <summary>The fields a configuration sets (structured-merge-diff's ToFieldSet).</summary>
    public static FieldSet ToFieldSet(JsonNode? value, ApplySchema schema)
    {
        var paths = new List<IReadOnlyList<PathElement>>();
        CollectFields(value, schema, [], paths);
        return FieldSet.Of(paths);
    }

    private static void CollectFields(JsonNode? value, ApplySchema schema, List<PathElement> path, List<IReadOnlyList<PathElement>> into)
    {
        switch (value)
        {
            case JsonObject obj when schema.IsAtomicMap:
                into.Add(path.ToArray());
                break;
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    path.Add(PathElement.Field(name));
                    CollectFields(child, schema.Field(name), path, into);
                    if (child is null || child is JsonObject { Count: 0 } || !schema.Declares(name))
                    {
                        into.Add(path.ToArray());
                    }
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case JsonArray list when schema.List.Type == ListType.Atomic:
                into.Add(path.ToArray());
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    path.Add(ElementOf(item, schema.List));
                    CollectFields(item, schema.Items, path, into);
                    into.Add(path.ToArray());
                    path.RemoveAt(path.Count - 1);
                }
                break;
            default:
                if (path.Count > 0)
                {
                    into.Add(path.ToArray());
                }
                break;
        }
    }

    /// <summary>The path element naming a list item: its keys in a map list, its value in a set.</summary>
    public static PathElement ElementOf(JsonNode? item, ListSemantics list) => list.Type == ListType.Map
        ? PathElement.Key(list.Keys.Where(k => item is JsonObject o && o.ContainsKey(k)).Select(k => KeyValuePair.Create(k, item![k])))
        : PathElement.Value(item);

    public static Comparison Compare(JsonNode? before, JsonNode? after, ApplySchema schema)
    {
        var (added, modified, removed) = (new List<IReadOnlyList<PathElement>>(), new List<IReadOnlyList<PathElement>>(), new List<IReadOnlyList<PathElement>>());
        CompareNode(new Slot(before, true), new Slot(after, true), schema, [], added, modified, removed);
        return new Comparison(FieldSet.Of(added), FieldSet.Of(modified), FieldSet.Of(removed));
    }

    /// <summary>A value and whether it is there at all (a JSON null is there).</summary>
    private readonly record struct Slot(JsonNode? Value, bool Present)
    {
        public static readonly Slot Missing = new(null, false);
    }

    private static void CompareNode(Slot left, Slot right, ApplySchema schema, List<PathElement> path,
        List<IReadOnlyList<PathElement>> added, List<IReadOnlyList<PathElement>> modified, List<IReadOnlyList<PathElement>> removed)
    {
        if (!left.Present && !right.Present)
        {
            return;
        }
        var l = left.Value;
        var r = right.Value;
        if ((l is JsonObject || !left.Present) && (r is JsonObject || !right.Present) && !schema.IsAtomicMap)
        {
            var lo = l as JsonObject;
            var ro = r as JsonObject;
            var names = (lo?.Select(p => p.Key) ?? []).Union(ro?.Select(p => p.Key) ?? []).ToList();
            foreach (var name in names)
            {
                path.Add(PathElement.Field(name));
                CompareNode(Lookup(lo, name), Lookup(ro, name), schema.Field(name), path, added, modified, removed);
                path.RemoveAt(path.Count - 1);
            }
            MarkPresence(left, right, path, added, removed);
            return;
        }
        if ((l is JsonArray || !left.Present) && (r is JsonArray || !right.Present) && schema.List.Type != ListType.Atomic)
        {
            var li = Index(l as JsonArray, schema.List);
            var ri = Index(r as JsonArray, schema.List);
            foreach (var element in li.Keys.Union(ri.Keys).ToList())
            {
                path.Add(element);
                CompareNode(li.TryGetValue(element, out var a) ? new Slot(a, true) : Slot.Missing,
                    ri.TryGetValue(element, out var b) ? new Slot(b, true) : Slot.Missing, schema.Items, path, added, modified, removed);
                path.RemoveAt(path.Count - 1);
            }
            MarkPresence(left, right, path, added, removed);
            return;
        }
        if (left.Present && right.Present)
        {
            if (path.Count > 0 && !JsonNode.DeepEquals(l, r))
            {
                modified.Add(path.ToArray());
            }
            return;
        }
        MarkPresence(left, right, path, added, removed);
    }

    private static void MarkPresence(Slot left, Slot right, List<PathElement> path, List<IReadOnlyList<PathElement>> added, List<IReadOnlyList<PathElement>> removed)
    {
        if (path.Count == 0)
        {
            return;
        }
        if (!left.Present)
        {
            added.Add(path.ToArray());
        }
        else if (!right.Present)
        {
            removed.Add(path.ToArray());
        }
    }

    private static Slot Lookup(JsonObject? obj, string name) =>
        obj is not null && obj.TryGetPropertyValue(name, out var value) ? new Slot(value, true) : Slot.Missing;

    private static Dictionary<PathElement, JsonNode?> Index(JsonArray? list, ListSemantics semantics)
    {
        var index = new Dictionary<PathElement, JsonNode?>();
        foreach (var item in list ?? [])
        {
            index.TryAdd(ElementOf(item, semantics), item);
        }
        return index;
    }

    /// <summary>The configuration merged into the live object: objects key by key, map and set lists item by item, the rest replaced.</summary>
    public static JsonNode? Merge(JsonNode? live, JsonNode? config, ApplySchema schema)
    {
        if (live is JsonObject lo && config is JsonObject co && !schema.IsAtomicMap)
        {
            var merged = lo.Clone();
            foreach (var (name, value) in co)
            {
                if (value is null)
                {
                    merged.Remove(name);
                    continue;
                }
                merged[name] = merged.TryGetPropertyValue(name, out var current) ? Merge(current, value, schema.Field(name)) : value.DeepClone();
            }
            return merged;
        }
        if (live is JsonArray la && config is JsonArray ca && schema.List.Type != ListType.Atomic)
        {
            return MergeList(la, ca, schema);
        }
        return config?.DeepClone();
    }

    /// <summary>
    /// structured-merge-diff's list merge: items only in the live list keep their places, items in the
    /// configuration follow its order, and items in both are merged.
    /// </summary>
    private static JsonArray MergeList(JsonArray live, JsonArray config, ApplySchema schema)
    {
        var lhs = live.Select(i => (Element: ElementOf(i, schema.List), Item: i)).ToList();
        var rhs = config.Select(i => (Element: ElementOf(i, schema.List), Item: i)).ToList();
        var lhsIndex = lhs.GroupBy(p => p.Element).ToDictionary(g => g.Key, g => g.First().Item);
        var rhsElements = rhs.Select(p => p.Element).ToHashSet();
        var shared = new Queue<PathElement>(rhs.Select(p => p.Element).Where(lhsIndex.ContainsKey));
        var result = new List<JsonNode?>();
        var taken = new HashSet<PathElement>();
        var (li, ri) = (0, 0);
        while (li < lhs.Count || ri < rhs.Count)
        {
            if (li < lhs.Count && taken.Contains(lhs[li].Element))
            {
                li++;
                continue;
            }
            if (li < lhs.Count && ri < rhs.Count && lhs[li].Element.Equals(rhs[ri].Element))
            {
                result.Add(Merge(lhs[li].Item, rhs[ri].Item, schema.Items));
                taken.Add(rhs[ri].Element);
                Advance(shared, rhs[ri].Element);
                li++;
                ri++;
                continue;
            }
            if (li < lhs.Count && rhsElements.Contains(lhs[li].Element) && shared.Count > 0 && !shared.Peek().Equals(lhs[li].Element))
            {
                li++;
                continue;
            }
            if (li < lhs.Count && !rhsElements.Contains(lhs[li].Element))
            {
                result.Add(lhs[li].Item?.DeepClone());
                taken.Add(lhs[li].Element);
                li++;
                continue;
            }
            if (ri < rhs.Count)
            {
                var element = rhs[ri].Element;
                if (taken.Add(element))
                {
                    result.Add(lhsIndex.TryGetValue(element, out var current) ? Merge(current, rhs[ri].Item, schema.Items) : rhs[ri].Item?.DeepClone());
                }
                Advance(shared, element);
                ri++;
                continue;
            }
            li++;
        }
        return new JsonArray(result.ToArray());
    }

    private static void Advance(Queue<PathElement> shared, PathElement merged)
    {
        if (shared.Count > 0 && shared.Peek().Equals(merged))
        {
            shared.Dequeue();
        }
    }

    /// <summary>
    /// Removes from <paramref name="merged"/> the fields a manager applied last time (<paramref name="lastApplied"/>)
    /// that nobody owns any more (<paramref name="owned"/>, which includes the manager's new configuration).
    /// A removed field that others still own parts of keeps those parts.
    /// </summary>
    public static void RemoveUnowned(JsonNode? merged, FieldSet lastApplied, FieldSet? owned)
    {
        foreach (var (element, last) in lastApplied.Children)
        {
            var mine = owned?.Child(element);
            switch (merged)
            {
                case JsonObject obj when element.Kind == 'f' && obj.TryGetPropertyValue(element.Text, out var child):
                    if (last.IsMember && (mine is null || mine.IsEmpty))
                    {
                        obj.Remove(element.Text);
                    }
                    else
                    {
                        RemoveUnowned(child, last, mine);
                    }
                    break;
                case JsonArray list when element.Kind is 'k' or 'v':
                    var semantics = element.Kind == 'k'
                        ? ListSemantics.MapBy([.. ((JsonObject)JsonNode.Parse(element.Text)!).Select(p => p.Key)])
                        : ListSemantics.Set;
                    var at = list.ToList().FindIndex(i => ElementOf(i, semantics).Equals(element));
                    if (at < 0)
                    {
                        break;
                    }
                    if (last.IsMember && (mine is null || mine.IsEmpty))
                    {
                        list.RemoveAt(at);
                    }
                    else
                    {
                        RemoveUnowned(list[at], last, mine);
                    }
                    break;
            }
        }
    }
}
