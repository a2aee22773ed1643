using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;
using Sigil.Api;
using Sigil.Tests.Support;
using YamlDotNet.Serialization;

namespace Sigil.Tests.Api;

/// <summary>The C# model and crds/sigil.dev_serviceidentities.yaml describe the same fields, so neither can drift.</summary>
public sealed class CrdSchemaTests
{
    internal static JsonObject LoadCrd()
    {
        var yaml = File.ReadAllText(Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml"));
        var graph = new DeserializerBuilder().Build().Deserialize<object>(yaml);
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(graph);
        return (JsonObject)JsonNode.Parse(json)!;
    }

    private static JsonObject Schema => (JsonObject)LoadCrd()["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!;

    [Fact]
    public void Every_model_property_is_in_the_schema_with_the_same_type_and_every_schema_property_is_in_the_model()
    {
        var problems = new List<string>();

        Compare(typeof(ServiceIdentity), Schema, "", problems);

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Every_schema_field_has_a_description()
    {
        var missing = new List<string>();

        Walk(Schema, "", (path, node) =>
        {
            // Array items share their array's description; metadata is described by Kubernetes itself.
            if (path is not ("" or "metadata") && !path.EndsWith("[]", StringComparison.Ordinal) && node["description"] is null)
            {
                missing.Add(path);
            }
        });

        Assert.True(missing.Count == 0, "no description: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_CRD_has_the_names_printer_columns_and_status_subresource_the_product_promises()
    {
        var crd = LoadCrd();
        var version = crd["spec"]!["versions"]![0]!;

        Assert.Equal("serviceidentities.sigil.dev", (string?)crd["metadata"]!["name"]);
        Assert.Equal(["sid", "sids"], crd["spec"]!["names"]!["shortNames"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["sigil"], crd["spec"]!["names"]!["categories"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("Namespaced", (string?)crd["spec"]!["scope"]);
        Assert.NotNull(version["subresources"]!["status"]);
        Assert.Equal(["SPIFFE ID", "Ready", "Expires", "Next Rotation", "Age"],
            version["additionalPrinterColumns"]!.AsArray().Select(c => (string?)c!["name"]));
    }

    [Fact]
    public void Cross_field_rules_are_declared_for_real_clusters_to_enforce()
    {
        var rules = new List<string>();
        Walk(Schema, "", (_, node) => rules.AddRange((node["x-kubernetes-validations"] as JsonArray ?? []).Select(r => (string)r!["rule"]!)));

        Assert.Contains(rules, r => r.Contains("renewBefore", StringComparison.Ordinal) && r.Contains("ttl", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("every", StringComparison.Ordinal) && r.Contains("schedule", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("duration('10m')", StringComparison.Ordinal) && r.Contains("duration('24h')", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("self.audiences.exists_one(o, o.name == a.name)", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("startsWith('spiffe://')", StringComparison.Ordinal) && r.Contains("startsWith('https://')", StringComparison.Ordinal));
    }

    [Fact]
    public void The_jwt_audience_rule_accepts_a_ServiceIdentity_name_and_nothing_else_that_is_not_a_SPIFFE_ID_or_https_URL()
    {
        var items = (JsonObject)Schema["properties"]!["spec"]!["properties"]!["jwt"]!["properties"]!["audiences"]!["items"]!;
        var rule = (string)items["x-kubernetes-validations"]![0]!["rule"]!;
        // The regex inside CEL's matches(), as CEL reads the string literal.
        var pattern = System.Text.RegularExpressions.Regex.Match(rule, @"matches\('(.*)'\)").Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal);
        var regex = new System.Text.RegularExpressions.Regex(pattern);

        Assert.Matches(regex, "orders");
        Assert.Matches(regex, "orders.v2");
        Assert.DoesNotMatch(regex, "Orders");
        Assert.DoesNotMatch(regex, "http://vault.example.com");
        Assert.DoesNotMatch(regex, "ordersXv2".Replace('X', '\\'));
        Assert.Equal("^[-._a-zA-Z0-9]+$", (string?)items["properties"]!["name"]!["pattern"]);
    }

    private static void Walk(JsonObject schema, string path, Action<string, JsonObject> visit)
    {
        visit(path, schema);
        foreach (var (name, child) in schema["properties"] as JsonObject ?? [])
        {
            Walk((JsonObject)child!, path.Length == 0 ? name : $"{path}.{name}", visit);
        }
        if (schema["items"] is JsonObject items)
        {
            Walk(items, path + "[]", visit);
        }
    }

    private static void Compare(Type type, JsonObject schema, string path, List<string> problems)
    {
        var properties = schema["properties"] as JsonObject ?? [];
        var modelNames = new HashSet<string>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null)
            {
                continue;
            }
            modelNames.Add(name);
            var where = path.Length == 0 ? name : $"{path}.{name}";
            if (properties[name] is not JsonObject propertySchema)
            {
                problems.Add($"{where} is in the model but not the schema");
                continue;
            }
            CompareType(property.PropertyType, propertySchema, where, problems);
        }
        foreach (var (name, _) in properties)
        {
            if (!modelNames.Contains(name))
            {
                problems.Add($"{(path.Length == 0 ? name : $"{path}.{name}")} is in the schema but not the model");
            }
        }
    }

    private static void CompareType(Type type, JsonObject schema, string path, List<string> problems)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var declared = (string?)schema["type"];
        string expected;
        if (type == typeof(V1ObjectMeta))
        {
            expected = "object";
        }
        else if (type == typeof(string))
        {
            expected = "string";
        }
        else if (type == typeof(DateTimeOffset))
        {
            expected = "string";
            if ((string?)schema["format"] != "date-time")
            {
                problems.Add($"{path} is a time in the model but not format date-time in the schema");
            }
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            expected = "integer";
        }
        else if (type == typeof(bool))
        {
            expected = "boolean";
        }
        else if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            expected = "array";
            var element = type.GetGenericArguments()[0];
            if (schema["items"] is JsonObject items)
            {
                CompareType(element, items, path + "[]", problems);
            }
        }
        else
        {
            expected = "object";
            Compare(type, schema, path, problems);
        }
        if (declared != expected)
        {
            problems.Add($"{path} is {expected} in the model but {declared ?? "untyped"} in the schema");
        }
    }
}
