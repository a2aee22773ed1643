using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cel;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// Evaluates a CRD version's rules over an object as kube-apiserver does: each rule where it sits in the schema with
/// <c>self</c> bound to the value there, only where a value is present; transition rules (those naming
/// <c>oldSelf</c>) only on update and only where the old object has a value at the same place (properties and map
/// entries by key, items of x-kubernetes-list-type: map lists by their keys). As with kube-apiserver's ratcheting, a
/// value unchanged since the old object is not failed again by the rules that do not use oldSelf (kube-apiserver at
/// most warns there; here those rules are not run at all).
/// </summary>
internal static partial class RuleEvaluator
{
    private const string RootPath = "<nil>";

    public static List<FieldCause> Validate(RuleNode root, JsonObject obj, JsonObject? old)
    {
        var causes = new List<FieldCause>();
        Visit(root, obj, old, old is not null, "", causes, new CostBudget());
        return causes;
    }

    /// <summary>What is left of the write's runtime cost budget; once spent, no further rule runs.</summary>
    private sealed class CostBudget
    {
        public long Remaining { get; set; } = RuleCostMeter.PerRequestLimit;
        public bool Spent { get; set; }
    }

    private static void Visit(RuleNode node, JsonNode? value, JsonNode? old, bool hasOld, string path, List<FieldCause> causes, CostBudget budget)
    {
        if (budget.Spent || value is null || hasOld && !node.HasTransitionRules && JsonNode.DeepEquals(value, old))
        {
            // Nothing to do under an unchanged value but transition rules (ratcheting): a status write re-runs no spec rule.
            return;
        }
        if (node.Rules.Count > 0)
        {
            EvaluateRules(node, value, hasOld ? old : null, hasOld, path, causes, budget);
        }
        switch (value)
        {
            case JsonObject obj:
                var oldObj = hasOld && node.ChildrenCorrelate ? old as JsonObject : null;
                foreach (var (key, child) in obj)
                {
                    var oldChild = oldObj?[key];
                    var childHasOld = oldObj?.ContainsKey(key) == true;
                    if (node.Properties.TryGetValue(key, out var property))
                    {
                        Visit(property, child, oldChild, childHasOld, PathStep.Append(path, new PathStep(key, IsKey: false)), causes, budget);
                    }
                    else if (node.AdditionalProperties is { } additional)
                    {
                        Visit(additional, child, oldChild, childHasOld, PathStep.Append(path, new PathStep(key, IsKey: true)), causes, budget);
                    }
                }
                break;
            case JsonArray array when node.Items is { } items:
                var oldItems = hasOld && node.ListMapKeys is { Count: > 0 } ? old as JsonArray : null;
                for (var i = 0; i < array.Count; i++)
                {
                    var oldItem = oldItems is null ? null : FindByKeys(oldItems, array[i], node.ListMapKeys!);
                    Visit(items, array[i], oldItem, oldItem is not null, $"{path}[{i}]", causes, budget);
                }
                break;
        }
    }

    private static void EvaluateRules(RuleNode node, JsonNode value, JsonNode? old, bool hasOld, string path, List<FieldCause> causes, CostBudget budget)
    {
        var unchanged = hasOld && JsonNode.DeepEquals(value, old);
        Dictionary<string, object?>? variables = null;
        foreach (var rule in node.Rules)
        {
            if (rule.UsesOldSelf ? !hasOld : unchanged)
            {
                continue;
            }
            var field = path.Length == 0 ? RootPath : path;
            object? result = null;
            Exception? error = null;
            var meter = RuleCostMeter.Start(budget.Remaining);
            try
            {
                // Converting can fail too (a format: duration string that is not one); that is this rule's error, not a 500.
                variables ??= Variables(node, value, old, hasOld);
                result = rule.Program(variables);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e;
            }
            finally
            {
                meter.Dispose();
                budget.Remaining -= meter.Used;
            }
            // Checked on the meter, not the exception: the library turns some exceptions in a macro body into a null result.
            if (meter.Exceeded && meter.RequestBudgetIsTheLimit)
            {
                // kube-apiserver's words: over the write's budget stops every further rule; over the rule's own limit names it.
                budget.Spent = true;
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {RuleCompiler.Quote(node.TypeName)}: validation failed due to running out of cost budget, no further validation rules will be run"));
                return;
            }
            if (meter.Exceeded)
            {
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {RuleCompiler.Quote(node.TypeName)}: operation cancelled: actual cost limit exceeded: call cost exceeds limit for rule: {rule.ErrorString}"));
                continue;
            }
            if (error is not null)
            {
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {RuleCompiler.Quote(node.TypeName)}: {Describe(error)} evaluating rule: {rule.ErrorString}"));
                continue;
            }
            if (result is true)
            {
                continue;
            }
            if (result is not false)
            {
                // The library answers null where CEL has "no such overload" (e.g. a predicate that was not a bool).
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {RuleCompiler.Quote(node.TypeName)}: no such overload evaluating rule: {rule.ErrorString}"));
                continue;
            }
            var failedPath = PathStep.Append(path, rule.FieldPath);
            causes.Add(Failure(rule, failedPath.Length == 0 ? RootPath : failedPath, node.TypeName, MessageFor(rule, variables!)));
        }
    }

    private static Dictionary<string, object?> Variables(RuleNode node, JsonNode value, JsonNode? old, bool hasOld)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        AddWithPaths(variables, "self", CelValues.From(value, node.Schema, node.IsResourceRoot));
        if (hasOld)
        {
            AddWithPaths(variables, "oldSelf", CelValues.From(old, node.Schema, node.IsResourceRoot));
        }
        return variables;
    }

    /// <summary>
    /// Binds the variable and, for speed, every field path under it (<c>self.x509.ttl</c>): the library looks a
    /// selection's whole text up as a variable before it selects, and its selection scans every protobuf descriptor it
    /// knows. Absent fields get no entry, so has() and "no such key" behave as without this.
    /// </summary>
    private static void AddWithPaths(Dictionary<string, object?> variables, string name, object? value)
    {
        variables[name] = value;
        if (value is Dictionary<string, object?> fields)
        {
            foreach (var (key, child) in fields)
            {
                if (key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    AddWithPaths(variables, $"{name}.{key}", child);
                }
            }
        }
    }

    /// <summary>messageExpression's result when it gives a usable one line, else the message, else "failed rule: ...".</summary>
    private static string MessageFor(CompiledRule rule, Dictionary<string, object?> variables)
    {
        if (rule.MessageExpression is { } expression)
        {
            try
            {
                if (expression(variables) is string text && text.Trim() is { Length: > 0 and <= 5120 } trimmed && !trimmed.Contains('\n', StringComparison.Ordinal))
                {
                    return trimmed;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // As kube-apiserver: a messageExpression that fails falls back to the message.
            }
        }
        return rule.DefaultMessage;
    }

    private static FieldCause Failure(CompiledRule rule, string field, string typeName, string detail) => rule.Reason switch
    {
        "FieldValueForbidden" => new FieldCause(rule.Reason, field, $"{field}: Forbidden: {detail}"),
        "FieldValueRequired" => new FieldCause(rule.Reason, field, $"{field}: Required value: {detail}"),
        "FieldValueDuplicate" => new FieldCause(rule.Reason, field, $"{field}: Duplicate value: {RuleCompiler.Quote(typeName)}"),
        _ => FieldCause.Invalid(field, $"Invalid value: {RuleCompiler.Quote(typeName)}: {detail}"),
    };

    /// <summary>A runtime error in kube-apiserver's words where they differ from the library's.</summary>
    private static string Describe(Exception e)
    {
        if (MissingField().Match(e.Message) is { Success: true } missing)
        {
            return $"no such key: {missing.Groups[1].Value}";
        }
        var message = e.Message.ReplaceLineEndings(" ").TrimEnd('.');
        return e.GetType().Name.Contains("Overload", StringComparison.Ordinal) ? $"no such overload: {message}" : message;
    }

    private static JsonObject? FindByKeys(JsonArray oldItems, JsonNode? item, IReadOnlyList<string> keys) =>
        item is not JsonObject itemObject
            ? null
            : oldItems.OfType<JsonObject>().FirstOrDefault(o => keys.All(k => JsonNode.DeepEquals(o[k], itemObject[k])));

    [GeneratedRegex(@"select field '([^']*)'")]
    private static partial Regex MissingField();
}
