using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>
/// A set of field paths, kept as a tree as FieldsV1 writes it: a node is a member of the set itself
/// (FieldsV1's <c>".": {}</c>, or an empty leaf) and/or the parent of members below it. Immutable.
/// </summary>
internal sealed class FieldSet
{
    public static readonly FieldSet Empty = new(false, new SortedDictionary<PathElement, FieldSet>());

    private readonly SortedDictionary<PathElement, FieldSet> _children;

    private FieldSet(bool member, SortedDictionary<PathElement, FieldSet> children)
    {
        IsMember = member;
        _children = children;
    }

    /// <summary>Whether the path this node stands for is in the set (meaningless at the root).</summary>
    public bool IsMember { get; }

    public bool IsEmpty => !IsMember && _children.Count == 0;

    public IEnumerable<KeyValuePair<PathElement, FieldSet>> Children => _children;

    public FieldSet? Child(PathElement element) => _children.GetValueOrDefault(element);

    /// <summary>The set of <paramref name="paths"/>, built in place (an object's fields can number in the thousands).</summary>
    public static FieldSet Of(IEnumerable<IReadOnlyList<PathElement>> paths)
    {
        var root = new Builder();
        foreach (var path in paths)
        {
            var node = root;
            foreach (var element in path)
            {
                if (!node.Children.TryGetValue(element, out var child))
                {
                    node.Children[element] = child = new Builder();
                }
                node = child;
            }
            node.Member = path.Count > 0 || node.Member;
        }
        return root.Build();
    }

    private sealed class Builder
    {
        public bool Member;
        public readonly SortedDictionary<PathElement, Builder> Children = [];

        public FieldSet Build()
        {
            var children = new SortedDictionary<PathElement, FieldSet>();
            foreach (var (element, child) in Children)
            {
                children[element] = child.Build();
            }
            return new FieldSet(Member, children);
        }
    }

    public FieldSet Union(FieldSet other) => Combine(other, (a, b) => a || b, keepLeftOnly: true, keepRightOnly: true);

    public FieldSet Intersect(FieldSet other) => Combine(other, (a, b) => a && b, keepLeftOnly: false, keepRightOnly: false);

    public FieldSet Except(FieldSet other) => Combine(other, (a, b) => a && !b, keepLeftOnly: true, keepRightOnly: false);

    private FieldSet Combine(FieldSet other, Func<bool, bool, bool> member, bool keepLeftOnly, bool keepRightOnly)
    {
        var children = new SortedDictionary<PathElement, FieldSet>();
        foreach (var (element, child) in _children)
        {
            var combined = other.Child(element) is { } theirs ? child.Combine(theirs, member, keepLeftOnly, keepRightOnly)
                : keepLeftOnly ? child : Empty;
            if (!combined.IsEmpty)
            {
                children[element] = combined;
            }
        }
        if (keepRightOnly)
        {
            foreach (var (element, child) in other._children.Where(c => !_children.ContainsKey(c.Key)))
            {
                children[element] = child;
            }
        }
        return new FieldSet(member(IsMember, other.IsMember), children);
    }

    /// <summary>Every member's path, parents before children.</summary>
    public IEnumerable<IReadOnlyList<PathElement>> Paths() => Paths([]);

    private IEnumerable<IReadOnlyList<PathElement>> Paths(List<PathElement> prefix)
    {
        if (IsMember && prefix.Count > 0)
        {
            yield return prefix.ToArray();
        }
        foreach (var (element, child) in _children)
        {
            prefix.Add(element);
            foreach (var path in child.Paths(prefix))
            {
                yield return path;
            }
            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    public JsonObject ToFieldsV1()
    {
        var json = new JsonObject();
        if (IsMember && _children.Count > 0)
        {
            json["."] = new JsonObject();
        }
        foreach (var (element, child) in _children)
        {
            json[element.FieldsV1Key] = child.ToFieldsV1();
        }
        return json;
    }

    /// <summary>Reads FieldsV1; null when it is not FieldsV1 (kube-apiserver then drops the client's managedFields).</summary>
    public static FieldSet? FromFieldsV1(JsonNode? json) => json is JsonObject o ? Read(o, member: false) : null;

    private static FieldSet? Read(JsonObject json, bool member)
    {
        var children = new SortedDictionary<PathElement, FieldSet>();
        foreach (var (key, value) in json)
        {
            if (key == ".")
            {
                member = true;
                continue;
            }
            if (PathElement.Parse(key) is not { } element || value is not JsonObject childJson
                || Read(childJson, member: childJson.Count == 0) is not { } child)
            {
                return null;
            }
            children[element] = child;
        }
        return new FieldSet(member, children);
    }

    /// <summary>This set without anything at or below <paramref name="path"/>.</summary>
    public FieldSet WithoutSubtree(IReadOnlyList<PathElement> path) => WithoutSubtree(path, 0);

    private FieldSet WithoutSubtree(IReadOnlyList<PathElement> path, int depth)
    {
        if (Child(path[depth]) is not { } child)
        {
            return this;
        }
        var children = new SortedDictionary<PathElement, FieldSet>(_children);
        var rest = depth + 1 == path.Count ? Empty : child.WithoutSubtree(path, depth + 1);
        if (rest.IsEmpty)
        {
            children.Remove(path[depth]);
        }
        else
        {
            children[path[depth]] = rest;
        }
        return new FieldSet(IsMember, children);
    }

    /// <summary>Only what is at or below the top-level element <paramref name="element"/>.</summary>
    public FieldSet OnlySubtree(PathElement element)
    {
        var children = new SortedDictionary<PathElement, FieldSet>();
        if (Child(element) is { } child)
        {
            children[element] = child;
        }
        return new FieldSet(false, children);
    }

    public static string Describe(IReadOnlyList<PathElement> path) => string.Concat(path.Select(e => e.ToString()));
}
