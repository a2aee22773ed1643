using System.Net;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.ValidationRules;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>
/// A CRD whose rules cannot be evaluated is refused when it is written, as kube-apiserver refuses rules that do not
/// compile: nothing is accepted and then silently skipped.
/// </summary>
public sealed class RuleCompilerTests
{
    private const string SchemaPath = "spec.versions[0].schema.openAPIV3Schema";

    /// <summary>A schema whose spec has properties a, tags and items, with one rule on spec or on the items of items.</summary>
    private static JsonObject SchemaWith(string ruleJson, string place = "spec")
    {
        var schema = (JsonObject)JsonNode.Parse("""
            {"type": "object", "properties": {"spec": {"type": "object", "properties": {
              "a": {"type": "integer"},
              "tags": {"type": "array", "items": {"type": "string"}},
              "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}}
            """)!;
        var spec = schema["properties"]!["spec"]!;
        var target = place == "spec" ? spec : spec["properties"]!["items"]!["items"]!;
        target["x-kubernetes-validations"] = new JsonArray(JsonNode.Parse(ruleJson));
        return schema;
    }

    /// <summary>because, the x-kubernetes-validations entry, where it sits, the cause's field, a part of its message.</summary>
    public static TheoryData<string, string, string, string, string> Refused => new()
    {
        { "optional field selection needs optional types", """{"rule": "self.?a.orValue(0) >= 0"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "optional field selection ('.?a') (kube-apiserver can" },
        { "the IP and CIDR libraries are not implemented", """{"rule": "ip('10.0.0.1').family() == 4 && cidr('10.0.0.0/8').containsIP(ip('10.0.0.1'))"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "the sigil local control plane cannot evaluate function family(), function ip(), function containsIP(), function cidr()" },
        { "two-variable comprehensions are not in the library", """{"rule": "self.tags.all(i, t, t != '')"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "cannot evaluate the two-variable comprehension all(i, v, ...)" },
        { "map with a filter is not in the library", """{"rule": "self.tags.map(t, t != '', t).size() >= 0"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "cannot evaluate map() with a filter (three arguments)" },
        { "namespaced functions such as cel.bind are not in the library", """{"rule": "cel.bind(x, self.a, x > 0)"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "cannot evaluate function cel.bind()" },
        { "an unknown member function is named", """{"rule": "self.tags.sortBy(t, t) == self.tags"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "cannot evaluate function sortBy()" },
        { "a messageExpression is checked like a rule", """{"rule": "self.a > 0", "messageExpression": "strings.quote(self.a)"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].messageExpression", "cannot evaluate function strings.quote()" },
        { "a syntax error does not compile", """{"rule": "self.a >"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "compilation failed" },
        { "an undeclared variable does not compile", """{"rule": "spec.a > 0"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "compilation failed: undeclared reference to 'spec'" },
        { "optionalOldSelf needs optional types", """{"rule": "self.a > 0", "optionalOldSelf": true}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].optionalOldSelf", "cannot evaluate optionalOldSelf" },
        { "oldSelf has nothing to compare with in the items of a plain list", """{"rule": "self.n == oldSelf.n"}""", "items",
            ".properties[spec].properties[items].items.x-kubernetes-validations[0].rule", "oldSelf cannot be used on the uncorrelatable portion of the schema" },
        { "a fieldPath must name a declared field", """{"rule": "self.a > 0", "fieldPath": ".b"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].fieldPath", "fieldPath must be a valid path: does not refer to a valid field" },
        { "a reason must be one kube-apiserver knows", """{"rule": "self.a > 0", "reason": "FieldValueWrong"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].reason", "Unsupported value: \"FieldValueWrong\"" },
        { "a rule on several lines needs a message", """{"rule": "self.a > 0 &&\nself.a < 5"}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].message", "message must be specified if rule contains line breaks" },
        { "an empty rule is required", """{"rule": ""}""", "spec",
            ".properties[spec].x-kubernetes-validations[0].rule", "Required value" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_rule_that_cannot_be_evaluated_refuses_the_CRD(string because, string rule, string place, string field, string message)
    {
        var result = RuleCompiler.Compile(SchemaWith(rule, place), SchemaPath);

        var cause = Assert.Single(result.Causes);
        Assert.True(cause.Field == SchemaPath + field, $"{because}: {cause}");
        Assert.True(cause.Message.Contains(message, StringComparison.Ordinal), $"{because}: {cause.Message}");
    }

    [Theory]
    [InlineData("""{"rule": "self.a > 0", "fieldPath": ".a", "reason": "FieldValueRequired", "messageExpression": "'a is ' + string(self.a)"}""", "spec")]
    [InlineData("""{"rule": "self.a == oldSelf.a", "message": "a is immutable"}""", "spec")]
    [InlineData("""{"rule": "self.n >= 0 &&\nself.n < 10", "message": "n is a digit"}""", "items")]
    public void Rules_the_emulator_can_evaluate_compile(string rule, string place)
    {
        var result = RuleCompiler.Compile(SchemaWith(rule, place), SchemaPath);

        Assert.Empty(result.Causes);
        Assert.NotNull(result.Root);
    }

    [Fact]
    public void Sigils_own_CRD_compiles_with_every_rule()
    {
        var crd = (JsonObject)Yaml(File.ReadAllText(Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml")));
        var schema = (JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

        var result = RuleCompiler.Compile(schema, SchemaPath);

        Assert.Empty(result.Causes);
        Assert.Equal(9, Count(result.Root!));
    }

    [Fact]
    public async Task The_API_refuses_a_CRD_with_a_rule_it_cannot_evaluate_and_says_which_and_why()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var group = $"g{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev";
        var definition = Gadgets.Definition(group, SchemaWith("""{"rule": "self.?a.orValue(0) >= 0", "message": "a is not negative"}"""));

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", definition);

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("Invalid", (string?)body["reason"]);
        var cause = Assert.Single(body["details"]!["causes"]!.AsArray());
        Assert.Equal("spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule", (string?)cause!["field"]);
        Assert.Contains("Invalid value: \"self.?a.orValue(0) >= 0\": compilation failed: the sigil local control plane cannot evaluate", (string?)body["message"], StringComparison.Ordinal);
        Assert.Contains("optional field selection", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Api.GetAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}")).Status);
    }

    private static int Count(RuleNode node) =>
        node.Rules.Count + node.Properties.Values.Sum(Count) + (node.Items is { } i ? Count(i) : 0) + (node.AdditionalProperties is { } a ? Count(a) : 0);

    private static JsonNode Yaml(string text)
    {
        var deserializer = new YamlDotNet.Serialization.DeserializerBuilder().Build();
        var serializer = new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build();
        return JsonNode.Parse(serializer.Serialize(deserializer.Deserialize(new StringReader(text))!))!;
    }
}
