using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>
/// The runtime budget stops rules the static estimate let through, as kube-apiserver's does. The rules here are
/// compiled without the estimate, standing for any rule it underestimates.
/// </summary>
public sealed class RuleCostMeterTests
{
    private const string EveryPair = "self.items.all(x, self.items.all(y, true))";

    /// <summary>because, how many copies of the rule sit on the object, how many items, the one cause expected (null: none).</summary>
    public static TheoryData<string, int, int, string?> Cases => new()
    {
        { "a rule iterating a million times stops at its own limit and is named", 1, 1000,
            $"<nil>: Invalid value: \"object\": operation cancelled: actual cost limit exceeded: call cost exceeds limit for rule: {EveryPair}" },
        { "rules each within their limit stop together when the write's budget is spent", 12, 550,
            "<nil>: Invalid value: \"object\": validation failed due to running out of cost budget, no further validation rules will be run" },
        { "a rule over a bounded list runs to its answer", 1, 64, null },
        { "a few rules within their limits all run to their answers", 3, 550, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_rule_that_runs_out_of_cost_budget_is_stopped_with_kube_apiservers_error(string because, int rules, int items, string? expected)
    {
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "integer" } } },
        };
        var root = new RuleNode
        {
            Schema = schema,
            Rules = Enumerable.Range(0, rules)
                .Select(_ => new CompiledRule(EveryPair, null, CelRuntime.Compile(EveryPair), null, [], "FieldValueInvalid", false))
                .ToList(),
        };
        var obj = new JsonObject { ["items"] = new JsonArray(Enumerable.Range(0, items).Select(i => (JsonNode?)i).ToArray()) };

        var causes = RuleEvaluator.Validate(root, obj, null);

        if (expected is null)
        {
            Assert.True(causes.Count == 0, $"{because}: {string.Join("; ", causes)}");
        }
        else
        {
            var cause = Assert.Single(causes);
            Assert.True(cause.Message == expected, $"{because}: {cause.Message}");
        }
    }
}
