using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Patching;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tests.Patching;

public sealed class JsonPatchTests
{
    private const string Document = """{"a":{"b":1,"list":[1,2,3]},"c":"x","slash/key":true}""";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "add sets an object member", """[{"op":"add","path":"/a/d","value":5}]""", """{"a":{"b":1,"list":[1,2,3],"d":5},"c":"x","slash/key":true}""" },
        { "add inserts into an array at an index", """[{"op":"add","path":"/a/list/1","value":9}]""", """{"a":{"b":1,"list":[1,9,2,3]},"c":"x","slash/key":true}""" },
        { "add with - appends", """[{"op":"add","path":"/a/list/-","value":4}]""", """{"a":{"b":1,"list":[1,2,3,4]},"c":"x","slash/key":true}""" },
        { "remove deletes", """[{"op":"remove","path":"/c"}]""", """{"a":{"b":1,"list":[1,2,3]},"slash/key":true}""" },
        { "replace swaps a value", """[{"op":"replace","path":"/a/b","value":2}]""", """{"a":{"b":2,"list":[1,2,3]},"c":"x","slash/key":true}""" },
        { "move relocates", """[{"op":"move","from":"/c","path":"/a/c"}]""", """{"a":{"b":1,"list":[1,2,3],"c":"x"},"slash/key":true}""" },
        { "copy duplicates", """[{"op":"copy","from":"/c","path":"/d"}]""", """{"a":{"b":1,"list":[1,2,3]},"c":"x","slash/key":true,"d":"x"}""" },
        { "~1 escapes a slash in a key", """[{"op":"remove","path":"/slash~1key"}]""", """{"a":{"b":1,"list":[1,2,3]},"c":"x"}""" },
        { "a passing test changes nothing", """[{"op":"test","path":"/c","value":"x"}]""", Document },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Operations_follow_RFC_6902(string because, string patch, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(Document)!, (JsonArray)JsonNode.Parse(patch)!);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{because}: got {result.ToJsonString()}");
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/c","value":"y"}]""")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""")]
    [InlineData("""[{"op":"replace","path":"/a/list/7","value":1}]""")]
    [InlineData("""[{"op":"jump","path":"/c"}]""")]
    public void A_patch_that_cannot_apply_is_a_422_and_the_document_is_untouched(string patch)
    {
        var document = JsonNode.Parse(Document)!;

        var error = Assert.Throws<ApiException>(() => JsonPatch.Apply(document, (JsonArray)JsonNode.Parse(patch)!));

        Assert.Equal(422, error.Code);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Document), document));
    }

    [Fact]
    public void Merge_patch_merges_objects_deletes_on_null_and_replaces_arrays()
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(Document), JsonNode.Parse("""{"a":{"b":null,"list":[7]},"e":1}"""));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":{"list":[7]},"c":"x","slash/key":true,"e":1}"""), result));
    }
}
