using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Patching;
using Sigil.LocalControlPlane.Tests.Apply;

namespace Sigil.LocalControlPlane.Tests.Patching;

public sealed class StrategicMergePatchTests
{
    private const string Deployment = """
        {"metadata":{"name":"d","finalizers":["a"]},
         "spec":{"template":{"spec":{
           "containers":[
             {"name":"app","image":"nginx:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
              "ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"name":"v","mountPath":"/v"}]},
             {"name":"side","image":"busybox"}],
           "volumes":[{"name":"v","emptyDir":{}}],
           "tolerations":[{"key":"x"}]}}}}
        """;

    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "containers merge by name and untouched ones stay",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:2"}]}}}}""",
            "$.spec.template.spec.containers", """[{"name":"app","image":"nginx:2","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"name":"v","mountPath":"/v"}]},{"name":"side","image":"busybox"}]""" },
        { "env merges by name: changed, kept, added",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}}}""",
            "$.spec.template.spec.containers[0].env", """[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]""" },
        { "a $patch delete element removes the keyed item",
            """{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}""",
            "$.spec.template.spec.containers[*].name", """["app"]""" },
        { "container ports merge by containerPort",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"name":"web"},{"containerPort":443}]}]}}}}""",
            "$.spec.template.spec.containers[0].ports", """[{"containerPort":80,"name":"web"},{"containerPort":443}]""" },
        { "volume mounts merge by mountPath",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","volumeMounts":[{"name":"w","mountPath":"/w"}]}]}}}}""",
            "$.spec.template.spec.containers[0].volumeMounts[*].mountPath", """["/v","/w"]""" },
        { "lists without a merge key are replaced",
            """{"spec":{"template":{"spec":{"tolerations":[{"key":"y"}]}}}}""",
            "$.spec.template.spec.tolerations", """[{"key":"y"}]""" },
        { "null deletes a field",
            """{"spec":{"template":{"spec":{"volumes":null}}}}""",
            "$.spec.template.spec.volumes", "null" },
        { "a $patch replace map replaces instead of merging",
            """{"spec":{"template":{"spec":{"$patch":"replace","containers":[{"name":"only"}]}}}}""",
            "$.spec.template.spec", """{"containers":[{"name":"only"}]}""" },
        { "$setElementOrder orders the merged list",
            """{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"app"}],"containers":[{"name":"app","image":"nginx:3"}]}}}}""",
            "$.spec.template.spec.containers[*].name", """["side","app"]""" },
        { "$deleteFromPrimitiveList removes scalars",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}""",
            "$.metadata.finalizers", "[]" },
        { "finalizers merge as a set",
            """{"metadata":{"finalizers":["a","b"]}}""",
            "$.metadata.finalizers", """["a","b"]""" },
        { "$retainKeys drops keys it does not list",
            """{"spec":{"template":{"spec":{"volumes":[{"name":"v","$retainKeys":["name","configMap"],"configMap":{"name":"c"}}]}}}}""",
            "$.spec.template.spec.volumes", """[{"name":"v","configMap":{"name":"c"}}]""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Strategic_merge_patch_follows_the_Kubernetes_patch_strategy(string because, string patch, string path, string expected)
    {
        var result = StrategicMergePatch.Apply((JsonObject)JsonNode.Parse(Deployment)!, (JsonObject)JsonNode.Parse(patch)!, ApplySchema.For(ApplySchemas.Deployment));

        var actual = Select(result, path);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"{because}: got {actual?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public void A_list_merges_by_the_key_its_Go_type_marks_even_one_no_table_ever_listed()
    {
        var deployment = JsonNode.Parse("""{"spec":{"template":{"spec":{"schedulingGates":[{"name":"a"}]}}}}""")!.AsObject();
        var patch = JsonNode.Parse("""{"spec":{"template":{"spec":{"schedulingGates":[{"name":"b"}]}}}}""")!.AsObject();

        var result = StrategicMergePatch.Apply(deployment, patch, ApplySchema.For(ApplySchemas.Deployment));

        Assert.Equal("""[{"name":"a"},{"name":"b"}]""", result["spec"]!["template"]!["spec"]!["schedulingGates"]!.ToJsonString());
    }

    private static JsonNode? Select(JsonNode root, string path)
    {
        var parts = path.TrimStart('$', '.').Split('.');
        JsonNode? node = root;
        foreach (var part in parts)
        {
            if (part.EndsWith("[*]", StringComparison.Ordinal))
            {
                return new JsonArray(((JsonArray)node![part[..^3]]!).Select(i => i![parts[^1]]?.DeepClone()).ToArray());
            }
            if (part.EndsWith(']'))
            {
                var name = part[..part.IndexOf('[')];
                var index = int.Parse(part[(part.IndexOf('[') + 1)..^1]);
                node = node![name]![index];
                continue;
            }
            node = node?[part];
        }
        return node;
    }
}
