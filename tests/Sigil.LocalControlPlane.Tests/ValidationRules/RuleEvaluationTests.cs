using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>The Gadget CRD's rules evaluated as kube-apiserver evaluates them: where they sit, with self (and oldSelf) bound there.</summary>
public sealed class RuleEvaluationTests
{
    private const string Valid = """
        {"min": 1, "max": 2, "replicas": 2, "mode": "on",
         "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T06:00:00Z", "length": "6h"},
         "ports": [{"name": "priv-http", "port": 80}, {"name": "api", "port": 8080}],
         "labels": {"team": "core"}, "hosts": ["example.com"]}
        """;

    private static RuleNode Rules
    {
        get
        {
            var compiled = RuleCompiler.Compile(Gadgets.SchemaObject, "spec.versions[0].schema.openAPIV3Schema");
            Assert.Empty(compiled.Causes);
            return compiled.Root!;
        }
    }

    private static string With(string changes)
    {
        var spec = (JsonObject)JsonNode.Parse(Valid)!;
        foreach (var (key, value) in (JsonObject)JsonNode.Parse(changes)!)
        {
            if (value is null)
            {
                spec.Remove(key);
            }
            else
            {
                spec[key] = value.DeepClone();
            }
        }
        return spec.ToJsonString();
    }

    /// <summary>because, name, spec, old spec (null on create), the failing field, the cause's reason, a part of its message.</summary>
    public static TheoryData<string, string, string, string?, string, string, string> Rejected => new()
    {
        { "a rule at the root sees metadata.name", "widget", Valid, null, "<nil>", "FieldValueInvalid", "Invalid value: \"object\": gadget names start with g" },
        { "messageExpression's result is the message", "gizmo", With("""{"min": 3}"""), null, "spec", "FieldValueInvalid", "spec: Invalid value: \"object\": min 3 is above max 2" },
        { "fieldPath and reason place and type the cause", "gizmo", With("""{"mode": "off"}"""), null, "spec.window", "FieldValueForbidden", "spec.window: Forbidden: a window is forbidden when mode is off" },
        { "a nested object's rule compares date-times", "gizmo", With("""{"window": {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}}"""), null, "spec.window", "FieldValueInvalid", "a window ends after it starts" },
        { "a format: duration string is a duration", "gizmo", With("""{"window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z", "length": "25h"}}"""), null, "spec.window", "FieldValueInvalid", "a window lasts at most a day" },
        { "an item's rule names the item's index", "gizmo", With("""{"ports": [{"name": "priv-http", "port": 80}, {"name": "https", "port": 443}]}"""), null, "spec.ports[1]", "FieldValueInvalid", "spec.ports[1]: Invalid value: \"object\": ports up to 1024 need a priv- name" },
        { "a list's rule sees the whole list", "gizmo", With("""{"ports": [{"name": "b", "port": 9000}, {"name": "a", "port": 8000}]}"""), null, "spec.ports", "FieldValueInvalid", "spec.ports: Invalid value: \"array\": ports are listed in order" },
        { "a map value's rule names the key", "gizmo", With("""{"labels": {"team": "platform"}}"""), null, "spec.labels[team]", "FieldValueInvalid", "spec.labels[team]: Invalid value: \"string\": label values are at most 5 characters" },
        { "without a message the rule is quoted", "gizmo", With("""{"hosts": ["Example.com"]}"""), null, "spec.hosts", "FieldValueInvalid", "failed rule: self.all(h, isURL('https://' + h) && h.lowerAscii() == h)" },
        { "a runtime error is an Invalid cause, not a failure of the request", "gizmo", With("""{"max": null}"""), null, "spec", "FieldValueInvalid", "no such key: max evaluating rule: self.min <= self.max" },
        { "a transition rule compares with the old value", "gizmo", With("""{"replicas": 1}"""), Valid, "spec.replicas", "FieldValueInvalid", "spec.replicas: Invalid value: \"integer\": replicas may not shrink" },
        { "self == oldSelf makes a field immutable", "gizmo", With("""{"mode": "auto"}"""), Valid, "spec.mode", "FieldValueInvalid", "mode is immutable" },
        { "list-type map items find their old value by key", "gizmo", With("""{"ports": [{"name": "priv-http", "port": 80}, {"name": "api", "port": 8081}]}"""), Valid, "spec.ports[1]", "FieldValueInvalid", "a named port keeps its number" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void A_failing_rule_is_a_cause_at_its_place(string because, string name, string spec, string? oldSpec, string field, string reason, string message)
    {
        var causes = RuleEvaluator.Validate(Rules, Gadgets.New(name, spec), oldSpec is null ? null : Gadgets.New(name, oldSpec));

        var cause = Assert.Single(causes);
        Assert.True(cause.Field == field, $"{because}: {cause}");
        Assert.Equal(reason, cause.Reason);
        Assert.Contains(message, cause.Message, StringComparison.Ordinal);
        Assert.StartsWith(field + ": ", cause.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?> Accepted => new()
    {
        { "a gadget that keeps every rule", Valid, null },
        { "absent values are not validated", """{"min": 1, "max": 1}""", null },
        { "transition rules do not run on create", With("""{"replicas": 0}"""), null },
        { "transition rules pass when the change is allowed", With("""{"replicas": 5}"""), Valid },
        { "an item new to a list-type map has no oldSelf", With("""{"ports": [{"name": "priv-http", "port": 80}, {"name": "api", "port": 8080}, {"name": "web", "port": 9090}]}"""), Valid },
        { "a value already invalid and unchanged is not failed again (ratcheting)", With("""{"min": 2, "labels": {"team": "platform"}}"""), With("""{"labels": {"team": "platform"}}""") },
        { "a field removed on update is not a transition", With("""{"mode": null}"""), Valid },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void A_gadget_within_the_rules_has_no_causes(string because, string spec, string? oldSpec)
    {
        var causes = RuleEvaluator.Validate(Rules, Gadgets.New("gizmo", spec), oldSpec is null ? null : Gadgets.New("gizmo", oldSpec));

        Assert.True(causes.Count == 0, $"{because}: {string.Join("; ", causes)}");
    }

    [Fact]
    public void Status_rules_are_evaluated_on_the_status()
    {
        var old = Gadgets.New("gizmo", Valid, """{"ready": 1}""");

        var causes = RuleEvaluator.Validate(Rules, Gadgets.New("gizmo", Valid, """{"ready": -1}"""), old);

        var cause = Assert.Single(causes);
        Assert.Equal("status: Invalid value: \"object\": ready is never negative", cause.Message);
    }

    [Fact]
    public void Every_failing_rule_is_reported()
    {
        var causes = RuleEvaluator.Validate(Rules, Gadgets.New("widget", With("""{"min": 3, "labels": {"a": "toolong", "b": "toolong"}}""")), null);

        Assert.Equal(["<nil>", "spec", "spec.labels[a]", "spec.labels[b]"], causes.Select(c => c.Field).Order(StringComparer.Ordinal));
    }
}
