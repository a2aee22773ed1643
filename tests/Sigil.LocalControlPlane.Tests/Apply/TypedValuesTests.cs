using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Catalog;

namespace Sigil.LocalControlPlane.Tests.Apply;

public sealed class TypedValuesTests
{
    private static ResourceType TypeNamed(string name) => name == "Gadget" ? ApplySchemas.Gadget : ApplySchemas.Deployment;

    public static TheoryData<string, string, string, string> FieldSets => new()
    {
        { "a scalar field is a leaf", "Deployment", """{"spec":{"replicas":2}}""", """{"f:spec":{"f:replicas":{}}}""" },
        { "an empty object is a member itself", "Deployment", """{"spec":{"strategy":{}}}""", """{"f:spec":{"f:strategy":{}}}""" },
        { "a built-in's containers are a map list keyed by name", "Deployment", """{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x"}]}}}}""",
            """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""" },
        { "a built-in's container ports are keyed by port and protocol, as the Go types mark them", "Deployment",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}}""",
            """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}""" },
        { "a built-in's label selector is atomic", "Deployment", """{"spec":{"selector":{"matchLabels":{"a":"b"}}}}""", """{"f:spec":{"f:selector":{}}}""" },
        { "a built-in's other lists are atomic", "Deployment", """{"spec":{"template":{"spec":{"containers":[{"name":"a","args":["x","y"]}]}}}}""",
            """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:args":{},"f:name":{}}}}}}}""" },
        { "a CRD's map list items are named by their keys", "Gadget", """{"spec":{"ports":[{"name":"a","port":1}]}}""",
            """{"f:spec":{"f:ports":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:port":{}}}}}""" },
        { "a CRD's set items are named by their values", "Gadget", """{"spec":{"tags":["x","y"]}}""", """{"f:spec":{"f:tags":{"v:\"x\"":{},"v:\"y\"":{}}}}""" },
        { "a CRD's list without a list type is atomic", "Gadget", """{"spec":{"items":[1,2]}}""", """{"f:spec":{"f:items":{}}}""" },
        { "a CRD's atomic map is one field", "Gadget", """{"spec":{"selector":{"a":"b"}}}""", """{"f:spec":{"f:selector":{}}}""" },
        { "a map's keys are members even with fields below them", "Gadget", """{"spec":{"limits":{"cpu":{"max":2}}}}""",
            """{"f:spec":{"f:limits":{"f:cpu":{".":{},"f:max":{}}}}}""" },
    };

    [Theory]
    [MemberData(nameof(FieldSets))]
    public void The_field_set_of_a_configuration(string sentence, string type, string config, string expected)
    {
        var set = TypedValues.ToFieldSet(JsonNode.Parse(config), ApplySchema.For(TypeNamed(type)));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), set.ToFieldsV1()), $"{sentence}: {set.ToFieldsV1().ToJsonString()}");
    }

    public static TheoryData<string, string, string, string, string> Merges => new()
    {
        { "the configuration's values win and the live object's other fields stay", "Gadget",
            """{"spec":{"size":1,"tags":["a"]},"status":{"phase":"Ready"}}""", """{"spec":{"size":2}}""",
            """{"spec":{"size":2,"tags":["a"]},"status":{"phase":"Ready"}}""" },
        { "map list items merge by key, live-only items keep their places", "Gadget",
            """{"spec":{"ports":[{"name":"a","port":1},{"name":"b","port":2}]}}""", """{"spec":{"ports":[{"name":"c","port":3},{"name":"a","port":9}]}}""",
            """{"spec":{"ports":[{"name":"c","port":3},{"name":"a","port":9},{"name":"b","port":2}]}}""" },
        { "map list items keep the fields the configuration does not name", "Gadget",
            """{"spec":{"ports":[{"name":"a","port":1}]}}""", """{"spec":{"ports":[{"name":"a"}]}}""",
            """{"spec":{"ports":[{"name":"a","port":1}]}}""" },
        { "sets are unions in the configuration's order, live-only values after", "Gadget", """{"spec":{"tags":["x","y"]}}""", """{"spec":{"tags":["z","x"]}}""", """{"spec":{"tags":["z","x","y"]}}""" },
        { "atomic lists are replaced", "Gadget", """{"spec":{"items":[1,2]}}""", """{"spec":{"items":[3]}}""", """{"spec":{"items":[3]}}""" },
        { "atomic maps are replaced", "Gadget", """{"spec":{"selector":{"a":"1","b":"2"}}}""", """{"spec":{"selector":{"c":"3"}}}""", """{"spec":{"selector":{"c":"3"}}}""" },
        { "granular maps merge key by key", "Gadget", """{"spec":{"limits":{"a":{"max":1}}}}""", """{"spec":{"limits":{"b":{"max":2}}}}""",
            """{"spec":{"limits":{"a":{"max":1},"b":{"max":2}}}}""" },
        { "a built-in's env merges by name", "Deployment",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"1"}]}]}}}}""",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"2"}]}]}}}}""",
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}}}""" },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Merging_a_configuration_into_a_live_object(string sentence, string type, string live, string config, string expected)
    {
        var merged = TypedValues.Merge(JsonNode.Parse(live), JsonNode.Parse(config), ApplySchema.For(TypeNamed(type)));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), merged), $"{sentence}: {merged?.ToJsonString()}");
    }

    public static TheoryData<string, string, string, string, string> Comparisons => new()
    {
        { "a changed scalar is modified", """{"spec":{"size":1}}""", """{"spec":{"size":2}}""", "", """{"f:spec":{"f:size":{}}}""" },
        { "a new map list item is added with its fields", """{"spec":{"ports":[]}}""", """{"spec":{"ports":[{"name":"a","port":1}]}}""",
            """{"f:spec":{"f:ports":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:port":{}}}}}""", "{}" },
        { "a new object is added itself, not only its fields", """{"spec":{}}""", """{"spec":{"limits":{"a":{"max":1}}}}""",
            """{"f:spec":{"f:limits":{".":{},"f:a":{".":{},"f:max":{}}}}}""", "{}" },
        { "an unchanged object is neither added nor modified", """{"spec":{"size":1}}""", """{"spec":{"size":1}}""", "{}", "{}" },
    };

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void Comparing_two_versions_of_an_object(string sentence, string before, string after, string added, string modified)
    {
        var comparison = TypedValues.Compare(JsonNode.Parse(before), JsonNode.Parse(after), ApplySchema.For(ApplySchemas.Gadget));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(added.Length == 0 ? "{}" : added), comparison.Added.ToFieldsV1()), $"{sentence}: added {comparison.Added.ToFieldsV1().ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(modified), comparison.Modified.ToFieldsV1()), $"{sentence}: modified {comparison.Modified.ToFieldsV1().ToJsonString()}");
    }

    public static TheoryData<string, string, string, string, string> Removals => new()
    {
        { "a field the manager stopped applying goes", """{"spec":{"size":1,"tags":["a"]}}""", """{"f:spec":{"f:size":{},"f:tags":{"v:\"a\"":{}}}}""",
            """{"f:spec":{"f:size":{}}}""", """{"spec":{"size":1,"tags":[]}}""" },
        { "a field another manager also owns stays", """{"spec":{"size":1}}""", """{"f:spec":{"f:size":{}}}""", """{"f:spec":{"f:size":{}}}""", """{"spec":{"size":1}}""" },
        { "a list item goes but keeps the parts others own", """{"spec":{"ports":[{"name":"a","port":1}]}}""",
            """{"f:spec":{"f:ports":{"k:{\"name\":\"a\"}":{".":{},"f:name":{},"f:port":{}}}}}""",
            """{"f:spec":{"f:ports":{"k:{\"name\":\"a\"}":{"f:name":{}}}}}""", """{"spec":{"ports":[{"name":"a"}]}}""" },
    };

    [Theory]
    [MemberData(nameof(Removals))]
    public void Removing_what_a_manager_stopped_applying(string sentence, string merged, string lastApplied, string owned, string expected)
    {
        var value = JsonNode.Parse(merged);

        TypedValues.RemoveUnowned(value, FieldSet.FromFieldsV1(JsonNode.Parse(lastApplied))!, FieldSet.FromFieldsV1(JsonNode.Parse(owned)));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), value), $"{sentence}: {value?.ToJsonString()}");
    }
}
