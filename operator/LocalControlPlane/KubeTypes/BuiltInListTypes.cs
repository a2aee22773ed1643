using Google.Protobuf.Reflection;

namespace Sigil.LocalControlPlane.KubeTypes;

/// <summary>How a list field of a built-in kind merges, as its Go definition marks it.</summary>
/// <param name="ListType"><c>map</c>, <c>set</c> or <c>atomic</c> from <c>+listType</c>; null when the field has no such marker
/// (kube-apiserver then treats the list as atomic, unless the strategic-merge markers below say otherwise).</param>
/// <param name="MapKeys">The <c>+listMapKey</c> fields that identify an element of a <c>map</c> list, in order.</param>
/// <param name="PatchStrategy"><c>+patchStrategy</c> (<c>merge</c>, <c>merge,retainKeys</c>), or null.</param>
/// <param name="PatchMergeKey"><c>+patchMergeKey</c>, or null.</param>
internal sealed record ListSemantics(string? ListType, IReadOnlyList<string> MapKeys, string? PatchStrategy, string? PatchMergeKey);

/// <summary>
/// The query API over Kubernetes' own type definitions for code that merges lists (server-side apply, strategic merge
/// patch): for a built-in kind and a field path, what kind of list is there and which fields key its elements.
/// <para>
/// <c>BuiltInListTypes.Find("apps", "v1", "Deployment", ["spec", "template", "spec", "containers"])</c> is
/// <c>ListSemantics("map", ["name"], "merge", "name")</c>. A path walks field names (the JSON names); a step through a
/// list or a map enters its element type, so <c>["spec", "containers", "ports"]</c> of a Pod is each container's ports.
/// The answer is null when the kind is not built in, a step is not a field, or the field is not a list.
/// Answers come from the descriptors embedded at build time, so they are cheap and never change while running.
/// </para>
/// </summary>
internal static class BuiltInListTypes
{
    public static ListSemantics? Find(string group, string version, string kind, IReadOnlyList<string> fieldPath)
    {
        var message = KubeTypeDescriptors.Instance.FindKind(group, version, kind);
        FieldDescriptor? field = null;
        foreach (var step in fieldPath)
        {
            if (message is null)
            {
                return null;
            }
            field = KubeTypeDescriptors.JsonFields(message).FirstOrDefault(f => f.Name == step);
            if (field is null)
            {
                return null;
            }
            var element = field.IsMap ? field.MessageType.FindFieldByNumber(2) : field;
            message = element.FieldType == FieldType.Message ? element.MessageType : null;
        }
        if (field is null || !field.IsRepeated || field.IsMap)
        {
            return null;
        }
        var comment = KubeOpenApiSchemas.Comment.Parse(field.Declaration?.LeadingComments);
        return new ListSemantics(comment.Marker("listType"), comment.Markers("listMapKey"), comment.Marker("patchStrategy"), comment.Marker("patchMergeKey"));
    }
}
