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

    /// <summary>A spec with one list of strings, bounded or not, and one rule on spec.</summary>
    private static JsonObject ListSchema(string rule, int? maxItems = null, int? maxLength = null)
    {
        var items = new JsonObject { ["type"] = "string" };
        if (maxLength is { } length)
        {
            items["maxLength"] = length;
        }
        var list = new JsonObject { ["type"] = "array", ["items"] = items };
        if (maxItems is { } max)
        {
            list["maxItems"] = max;
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject { ["items"] = list },
                    ["x-kubernetes-validations"] = new JsonArray(new JsonObject { ["rule"] = rule }),
                },
            },
        };
    }

    private const string EachItemOnce = "self.items.all(x, self.items.exists_one(y, y == x))";

    /// <summary>because, the rule, the list's maxItems and its strings' maxLength (0: none), the factor kube-apiserver would report.</summary>
    public static TheoryData<string, string, int, int, string> TooCostly => new()
    {
        { "a rule quadratic in an unbounded list could run for hours", EachItemOnce, 0, 0, "more than 100x" },
        { "maxLength alone does not bound how many items there are", EachItemOnce, 0, 253, "more than 100x" },
        { "a quadratic rule over thousands of items is still too much", EachItemOnce, 5000, 16, "more than 100x" },
        { "maxItems alone does not bound comparing strings that may each be megabytes", EachItemOnce, 64, 0, "more than 100x" },
        { "even a linear rule over an unbounded list may visit a million items", "self.items.all(x, x.size() <= 10)", 0, 0, "4.2x" },
        { "a linear rule reading every unbounded string through is too much", "self.items.all(x, x.contains('a'))", 0, 0, "more than 100x" },
        { "a regular expression over each of many long strings is too much", "self.items.all(x, x.matches('^[a-z]+$'))", 1000, 5000, "2.0x" },
    };

    [Theory]
    [MemberData(nameof(TooCostly))]
    public void A_rule_whose_estimated_cost_exceeds_the_budget_refuses_the_CRD_and_suggests_bounds(string because, string rule, int maxItems, int maxLength, string factor)
    {
        var result = RuleCompiler.Compile(ListSchema(rule, maxItems == 0 ? null : maxItems, maxLength == 0 ? null : maxLength), SchemaPath);

        var cause = Assert.Single(result.Causes);
        Assert.True(cause.Field == SchemaPath + ".properties[spec].x-kubernetes-validations[0].rule", $"{because}: {cause}");
        Assert.True(cause.Reason == "FieldValueForbidden", $"{because}: {cause}");
        Assert.True(cause.Message.EndsWith(
            $"rule: Forbidden: estimated rule cost exceeds budget by factor of {factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)",
            StringComparison.Ordinal), $"{because}: {cause.Message}");
        Assert.Null(result.Root);
    }

    /// <summary>because, the rule, the list's maxItems and its strings' maxLength (0: none).</summary>
    public static TheoryData<string, string, int, int> WithinBudget => new()
    {
        { "a quadratic rule over 64 short strings fits, as the ServiceIdentity CRD's uniqueness rules do", EachItemOnce, 64, 63 },
        { "a size check over a thousand items reads no string through", "self.items.all(x, x.size() <= 10)", 1000, 0 },
        { "a regular expression over each of a bounded list of names fits", "self.items.all(x, x.matches('^[a-z]+$'))", 100, 253 },
        { "a rule that iterates nothing fits whatever the list's size", "self.items.size() <= 3", 0, 0 },
    };

    [Theory]
    [MemberData(nameof(WithinBudget))]
    public void A_rule_whose_estimated_cost_fits_the_budget_compiles(string because, string rule, int maxItems, int maxLength)
    {
        var result = RuleCompiler.Compile(ListSchema(rule, maxItems == 0 ? null : maxItems, maxLength == 0 ? null : maxLength), SchemaPath);

        Assert.True(result.Causes.Count == 0, $"{because}: {string.Join("; ", result.Causes)}");
        Assert.NotNull(result.Root);
    }

    [Fact]
    public async Task The_API_refuses_an_unbounded_quadratic_rule_and_serves_the_bounded_one_which_then_evaluates()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var group = $"g{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev";
        const string Crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

        var (refused, refusal) = await cluster.Api.SendAsync(HttpMethod.Post, Crds, Gadgets.Definition(group, ListSchema(EachItemOnce)));
        cluster.DeleteAtEnd($"gadgets.{group}");
        var (accepted, acceptance) = await cluster.Api.SendAsync(HttpMethod.Post, Crds, Gadgets.Definition(group, ListSchema(EachItemOnce, maxItems: 64, maxLength: 63)));
        var path = $"/apis/{group}/v1/namespaces/{ns}/gadgets";
        await Eventually.TrueAsync(async () => (await cluster.Api.GetAsync(path)).Status == HttpStatusCode.OK, because: $"gadgets.{group} is never served");
        var unique = Enumerable.Range(0, 64).Select(i => $"\"item-{i}\"").ToList();
        var (created, _) = await cluster.Api.SendAsync(HttpMethod.Post, path,
            Gadgets.New("gunique", $"{{\"items\": [{string.Join(",", unique)}]}}", apiVersion: $"{group}/v1"));
        var (duplicated, duplication) = await cluster.Api.SendAsync(HttpMethod.Post, path,
            Gadgets.New("gtwice", $"{{\"items\": [{string.Join(",", unique.Take(63).Append(unique[0]))}]}}", apiVersion: $"{group}/v1"));

        Assert.Equal((HttpStatusCode)422, refused);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems",
            (string?)refusal["message"], StringComparison.Ordinal);
        Assert.True(accepted == HttpStatusCode.Created, acceptance.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.True(duplicated == (HttpStatusCode)422, duplication.ToJsonString());
        Assert.Contains($"failed rule: {EachItemOnce}", (string?)duplication["message"], StringComparison.Ordinal);
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
