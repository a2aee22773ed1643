using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>The standard CEL and Kubernetes-library semantics that CRD rules rely on, as the emulator's environment evaluates them.</summary>
public sealed class CelRuntimeTests
{
    private const string Self = """
        {"name": "", "ttl": "90m", "tags": [], "nums": [3, 1, 2], "words": ["a", "b", "c"], "map": {"k": "v"},
         "items": [{"name": "a"}, {"name": "b"}, {"name": "a"}], "text": "Hello World", "url": "https://example.com:8443/p/a?x=1&x=2"}
        """;

    private const string SelfSchema = """
        {"type": "object", "properties": {
          "name": {"type": "string"}, "ttl": {"type": "string"}, "text": {"type": "string"}, "url": {"type": "string"},
          "tags": {"type": "array", "items": {"type": "string"}},
          "nums": {"type": "array", "items": {"type": "integer"}},
          "words": {"type": "array", "items": {"type": "string"}},
          "map": {"type": "object", "additionalProperties": {"type": "string"}},
          "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
        """;

    public static TheoryData<string, string> TrueExpressions => new()
    {
        { "has() is presence, even of an empty string", "has(self.name)" },
        { "has() is presence, even of an empty list", "has(self.tags)" },
        { "has() of an absent field is false", "!has(self.missing)" },
        { "size() is an int usable in arithmetic", "size(self.words) + 1 == 4 && self.words.size() * 2 == 6" },
        { "duration() parses Go durations", "duration(self.ttl) == duration('1h30m') && duration(self.ttl) > duration('1h')" },
        { "exists_one finds duplicates", "!self.items.all(i, self.items.exists_one(o, o.name == i.name))" },
        { "exists and all", "self.nums.exists(n, n == 2) && self.nums.all(n, n > 0)" },
        { "map and filter", "self.nums.map(n, n * 2).sum() == 12 && self.nums.filter(n, n > 1).size() == 2" },
        { "in on lists and maps", "'b' in self.words && 'k' in self.map" },
        { "startsWith, endsWith, contains, matches", "self.text.startsWith('Hello') && self.text.endsWith('World') && self.text.contains('o W') && self.text.matches('^H.*d$')" },
        { "lowerAscii and upperAscii", "self.text.lowerAscii() == 'hello world' && self.text.upperAscii() == 'HELLO WORLD'" },
        { "replace with a limit", "'aaa'.replace('a', 'b', 2) == 'bba' && 'aaa'.replace('a', 'b') == 'bbb'" },
        { "split and join", "self.text.split(' ') == ['Hello', 'World'] && self.words.join('-') == 'a-b-c' && 'a,b,c'.split(',', 2).size() == 2" },
        { "substring, indexOf, charAt, trim", "self.text.substring(6) == 'World' && self.text.indexOf('o') == 4 && self.text.charAt(1) == 'e' && ' x '.trim() == 'x'" },
        { "isSorted, min, max", "!self.nums.isSorted() && self.words.isSorted() && self.nums.min() == 1 && self.nums.max() == 3" },
        { "list indexOf and lastIndexOf", "self.words.indexOf('b') == 1 && [1, 2, 1].lastIndexOf(1) == 2 && self.words.indexOf('z') == -1" },
        { "regex find and findAll", "'abc 123 def 456'.find('[0-9]+') == '123' && 'abc 123 def 456'.findAll('[0-9]+') == ['123', '456']" },
        { "url accessors", "url(self.url).getScheme() == 'https' && url(self.url).getHost() == 'example.com:8443' && url(self.url).getHostname() == 'example.com' && url(self.url).getPort() == '8443' && url(self.url).getEscapedPath() == '/p/a' && url(self.url).getQuery()['x'] == ['1', '2']" },
        { "isURL", "isURL('https://example.com') && !isURL('not a url') && isURL('/absolute/path')" },
        { "quantities compare across suffixes", "quantity('1Gi').isGreaterThan(quantity('1000Mi')) && quantity('500m').isLessThan(quantity('1')) && quantity('1k').compareTo(quantity('1000')) == 0" },
        { "quantity arithmetic and conversions", "quantity('1Gi').sub(quantity('512Mi')).asInteger() == 536870912 && quantity('1.5').add(1).asApproximateFloat() == 2.5 && !quantity('1.5').isInteger() && quantity('-2').sign() == -1" },
        { "isQuantity", "isQuantity('250Mi') && isQuantity('1e3') && !isQuantity('1 Gi') && !isQuantity('lots')" },
        { "timestamps compare", "timestamp('2026-01-01T00:00:00Z') < timestamp('2026-06-01T00:00:00Z')" },
        { "the conditional operator", "(size(self.tags) == 0 ? 'empty' : 'full') == 'empty'" },
        { "integers are ints and lists are lists", "type(self.nums[0]) == int && type(self.words) == list" },
    };

    [Theory]
    [MemberData(nameof(TrueExpressions))]
    public void Expressions_evaluate_as_in_kube_apiserver(string because, string expression)
    {
        var analysis = RuleSupport.Analyze(CelRuntime.Parse(expression), ["self"]);
        Assert.True(analysis.Problems.Count == 0, $"{because}: {string.Join("; ", analysis.Problems)}");
        var self = CelValues.From(JsonNode.Parse(Self), (JsonObject)JsonNode.Parse(SelfSchema)!, isResourceRoot: false);

        var result = CelRuntime.Compile(expression)(new Dictionary<string, object?> { ["self"] = self });

        Assert.True(result is true, $"{because}: {expression} gave {result ?? "null"}");
    }

    [Theory]
    [InlineData("namespace", "__namespace__")]
    [InlineData("x-y", "x__dash__y")]
    [InlineData("a.b/c", "a__dot__b__slash__c")]
    [InlineData("a__b", "a__underscores__b")]
    [InlineData("plain_name", "plain_name")]
    [InlineData("1st", null)]
    [InlineData("a b", null)]
    public void Property_names_are_escaped_as_kube_apiserver_escapes_them(string name, string? escaped) =>
        Assert.Equal(escaped, CelValues.Escape(name));

    [Fact]
    public void A_property_named_after_a_CEL_keyword_is_reached_by_its_escaped_name()
    {
        var schema = (JsonObject)JsonNode.Parse("""{"type": "object", "properties": {"namespace": {"type": "string"}, "max-size": {"type": "integer"}}}""")!;
        var self = CelValues.From(JsonNode.Parse("""{"namespace": "prod", "max-size": 3}"""), schema, isResourceRoot: false);

        var result = CelRuntime.Compile("self.__namespace__ == 'prod' && self.max__dash__size == 3")(new Dictionary<string, object?> { ["self"] = self });

        Assert.Equal(true, result);
    }

    public static TheoryData<string, long> GoDurations => new()
    {
        { "1h30m", 90L * 60 * 1000 },
        { "1.5h", 90L * 60 * 1000 },
        { "300ms", 300 },
        { "-2m", -120_000 },
        { "0", 0 },
    };

    [Theory]
    [MemberData(nameof(GoDurations))]
    public void Format_duration_strings_parse_as_Go_durations(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CelValues.ParseGoDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1d")]
    [InlineData("h")]
    public void Strings_that_are_not_Go_durations_are_refused(string text) =>
        Assert.Throws<FormatException>(() => CelValues.ParseGoDuration(text));
}
