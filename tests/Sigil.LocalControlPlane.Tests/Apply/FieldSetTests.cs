using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;

namespace Sigil.LocalControlPlane.Tests.Apply;

public sealed class FieldSetTests
{
    public static TheoryData<string, string> RoundTrips => new()
    {
        { "leaves and a member with children", """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{}}}""" },
        { "map list keys with several fields", """{"f:spec":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{}}}}}""" },
        { "set values and indexes", """{"f:spec":{"f:tags":{"v:\"a\"":{},"v:1":{}},"f:list":{"i:0":{}}}}""" },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void FieldsV1_reads_and_writes_back_the_same(string sentence, string fieldsV1)
    {
        var set = FieldSet.FromFieldsV1(JsonNode.Parse(fieldsV1));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(fieldsV1), set!.ToFieldsV1()), $"{sentence}: {set.ToFieldsV1().ToJsonString()}");
    }

    public static TheoryData<string, string> NotFieldsV1 => new()
    {
        { "a key without a prefix", """{"spec":{}}""" },
        { "a value that is not an object", """{"f:spec":1}""" },
        { "a map list key that is not an object", """{"f:spec":{"k:[1]":{}}}""" },
        { "not an object at all", "[]" },
    };

    [Theory]
    [MemberData(nameof(NotFieldsV1))]
    public void What_is_not_FieldsV1_is_refused(string sentence, string json)
    {
        Assert.True(FieldSet.FromFieldsV1(JsonNode.Parse(json)) is null, sentence);
    }

    [Fact]
    public void Paths_print_as_kube_apiserver_prints_them_in_conflicts()
    {
        var set = FieldSet.FromFieldsV1(JsonNode.Parse("""
            {"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{"f:name":{}}}}},"f:tags":{"v:\"a\"":{}}}}
            """))!;

        Assert.Equal(
            [""".spec.containers[name="app"].ports[containerPort=80,protocol="TCP"].name""", """.spec.tags[="a"]"""],
            set.Paths().Select(FieldSet.Describe));
    }

    [Fact]
    public void Difference_removes_members_but_not_what_is_below_them()
    {
        var set = FieldSet.FromFieldsV1(JsonNode.Parse("""{"f:a":{".":{},"f:b":{}},"f:c":{}}"""))!;
        var remove = FieldSet.FromFieldsV1(JsonNode.Parse("""{"f:a":{},"f:c":{}}"""))!;

        Assert.Equal("""{"f:a":{"f:b":{}}}""", set.Except(remove).ToFieldsV1().ToJsonString());
    }

    [Fact]
    public void Intersection_and_union_work_member_by_member()
    {
        var left = FieldSet.FromFieldsV1(JsonNode.Parse("""{"f:a":{},"f:b":{"f:c":{}}}"""))!;
        var right = FieldSet.FromFieldsV1(JsonNode.Parse("""{"f:b":{"f:c":{},"f:d":{}}}"""))!;

        Assert.Equal("""{"f:b":{"f:c":{}}}""", left.Intersect(right).ToFieldsV1().ToJsonString());
        Assert.Equal("""{"f:a":{},"f:b":{"f:c":{},"f:d":{}}}""", left.Union(right).ToFieldsV1().ToJsonString());
    }
}
