using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Selection;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tests.Selection;

public sealed class SelectorTests
{
    private static JsonObject Labelled(string labels) => new() { ["metadata"] = new JsonObject { ["labels"] = JsonNode.Parse(labels) } };

    [Theory]
    [InlineData("app = web", true)]
    [InlineData("app in ( web , api )", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("env in (prod),app", true)]
    [InlineData("example.com/tier=gold", true)]
    [InlineData("!example.com/tier", false)]
    public void Label_selector_syntax_is_parsed_with_spaces_and_prefixed_keys(string selector, bool matches)
    {
        var obj = Labelled("""{"app":"web","env":"prod","example.com/tier":"gold"}""");

        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(obj));
    }

    [Theory]
    [InlineData("app=(x")]
    [InlineData("a b c")]
    public void An_unparsable_label_selector_is_a_400(string selector)
    {
        var error = Assert.Throws<ApiException>(() => LabelSelector.Parse(selector));

        Assert.Equal(400, error.Code);
    }

    [Theory]
    [InlineData("involvedObject.kind=Secret,involvedObject.name=s", true)]
    [InlineData("involvedObject.kind==Secret", true)]
    [InlineData("involvedObject.name!=s", false)]
    [InlineData("type=Warning", false)]
    [InlineData("count=3", true)]
    public void Field_selectors_follow_dotted_paths(string selector, bool matches)
    {
        var e = (JsonObject)JsonNode.Parse("""{"metadata":{"name":"e"},"involvedObject":{"kind":"Secret","name":"s"},"type":"Normal","count":3}""")!;

        Assert.Equal(matches, FieldSelector.Parse(selector).Matches(e));
    }
}
