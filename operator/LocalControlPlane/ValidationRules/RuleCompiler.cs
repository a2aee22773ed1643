using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cel;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// Compiles the x-kubernetes-validations of one CRD version's schema into a <see cref="RuleNode"/> tree, and says
/// what kube-apiserver would refuse the CRD for (rules that do not compile, bad fieldPath or reason, oldSelf where
/// there is no old value to compare) plus what only this emulator cannot evaluate, so the CRD is refused with a
/// message rather than accepted with rules silently skipped.
/// </summary>
internal static class RuleCompiler
{
    private static readonly HashSet<string> Reasons = ["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"];

    public sealed record Result(RuleNode? Root, IReadOnlyList<FieldCause> Causes);

    /// <param name="schema">The version's openAPIV3Schema.</param>
    /// <param name="schemaPath">Where the schema sits in the CRD, for the causes (<c>spec.versions[0].schema.openAPIV3Schema</c>).</param>
    public static Result Compile(JsonObject schema, string schemaPath)
    {
        var causes = new List<FieldCause>();
        var root = Node(schema, schemaPath, isResourceRoot: true, correlatable: true, causes);
        return new Result(root, causes);
    }

    private static RuleNode? Node(JsonObject schema, string path, bool isResourceRoot, bool correlatable, List<FieldCause> causes)
    {
        var rules = new List<CompiledRule>();
        if (schema["x-kubernetes-validations"] is JsonArray validations)
        {
            for (var i = 0; i < validations.Count; i++)
            {
                if (CompileRule(validations[i] as JsonObject, schema, $"{path}.x-kubernetes-validations[{i}]", correlatable, causes) is { } rule)
                {
                    rules.Add(rule);
                }
            }
        }

        var childrenCorrelate = correlatable && schema.Str("x-kubernetes-map-type") != "atomic";
        var properties = new Dictionary<string, RuleNode>();
        if (schema["properties"] is JsonObject declared)
        {
            foreach (var (name, value) in declared)
            {
                if (value is JsonObject propertySchema
                    && Node(propertySchema, $"{path}.properties[{name}]", IsEmbedded(propertySchema), childrenCorrelate, causes) is { } child)
                {
                    properties[name] = child;
                }
            }
        }
        var additional = schema["additionalProperties"] is JsonObject additionalSchema
            ? Node(additionalSchema, $"{path}.additionalProperties", IsEmbedded(additionalSchema), childrenCorrelate, causes)
            : null;
        var mapKeys = schema.Str("x-kubernetes-list-type") == "map"
            ? (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(Json.ScalarText).OfType<string>().ToList()
            : null;
        var items = schema["items"] is JsonObject itemSchema
            ? Node(itemSchema, $"{path}.items", IsEmbedded(itemSchema), correlatable && mapKeys is { Count: > 0 }, causes)
            : null;

        if (rules.Count == 0 && properties.Count == 0 && additional is null && items is null)
        {
            return null;
        }
        return new RuleNode
        {
            Schema = schema,
            IsResourceRoot = isResourceRoot,
            Rules = rules,
            Properties = properties,
            AdditionalProperties = additional,
            Items = items,
            ChildrenCorrelate = childrenCorrelate,
            ListMapKeys = mapKeys,
            HasTransitionRules = rules.Any(r => r.UsesOldSelf) || properties.Values.Any(p => p.HasTransitionRules)
                || additional?.HasTransitionRules == true || items?.HasTransitionRules == true,
        };
    }

    private static CompiledRule? CompileRule(JsonObject? entry, JsonObject schema, string path, bool correlatable, List<FieldCause> causes)
    {
        var before = causes.Count;
        var text = entry.Str("rule");
        var message = entry.Str("message");
        var messageExpression = entry.Str("messageExpression");
        var fieldPath = entry.Str("fieldPath");
        var reason = entry.Str("reason") ?? "FieldValueInvalid";

        if (string.IsNullOrWhiteSpace(text))
        {
            causes.Add(FieldCause.Required($"{path}.rule"));
            return null;
        }
        if (message is not null && message.Trim().Length == 0)
        {
            causes.Add(FieldCause.Invalid($"{path}.message", $"Invalid value: {Quote(message)}: message must be non-empty if specified"));
        }
        else if (message is not null && message.Contains('\n', StringComparison.Ordinal))
        {
            causes.Add(FieldCause.Invalid($"{path}.message", $"Invalid value: {Quote(message)}: message must not contain line breaks"));
        }
        else if (message is null && text.Contains('\n', StringComparison.Ordinal))
        {
            causes.Add(new FieldCause("FieldValueRequired", $"{path}.message", $"{path}.message: Required value: message must be specified if rule contains line breaks"));
        }
        if (!Reasons.Contains(reason))
        {
            causes.Add(new FieldCause("FieldValueNotSupported", $"{path}.reason",
                $"{path}.reason: Unsupported value: {Quote(reason)}: supported values: \"FieldValueDuplicate\", \"FieldValueForbidden\", \"FieldValueInvalid\", \"FieldValueRequired\""));
        }
        IReadOnlyList<PathStep> steps = [];
        if (fieldPath is not null)
        {
            var (parsed, error) = ParseFieldPath(fieldPath, schema);
            if (error is not null)
            {
                causes.Add(FieldCause.Invalid($"{path}.fieldPath", $"Invalid value: {Quote(fieldPath)}: fieldPath must be a valid path: {error}"));
            }
            steps = parsed;
        }
        if (entry?["optionalOldSelf"]?.GetValueKind() == JsonValueKind.True)
        {
            causes.Add(FieldCause.Invalid($"{path}.optionalOldSelf",
                "Invalid value: true: the sigil local control plane cannot evaluate optionalOldSelf (oldSelf as an optional value); kube-apiserver can"));
        }

        var program = CompileExpression(text, $"{path}.rule", schema, correlatable, causes, out var usesOldSelf);
        CelProgramDelegate? messageProgram = null;
        if (messageExpression is not null)
        {
            messageProgram = CompileExpression(messageExpression, $"{path}.messageExpression", schema, correlatable, causes, out _);
        }
        return causes.Count > before || program is null
            ? null
            : new CompiledRule(text, message, program, messageProgram, steps, reason, usesOldSelf);
    }

    private static CelProgramDelegate? CompileExpression(string text, string field, JsonObject schema, bool correlatable, List<FieldCause> causes, out bool usesOldSelf)
    {
        usesOldSelf = false;
        try
        {
            var tree = CelRuntime.Parse(text);
            var analysis = RuleSupport.Analyze(tree, ["self", "oldSelf"]);
            usesOldSelf = analysis.UsesOldSelf;
            // As kube-apiserver, one cause per expression however many problems it has.
            var limits = analysis.Problems.Where(p => p.EmulatorLimit).Select(p => p.Text).Distinct().ToList();
            var invalid = analysis.Problems.Where(p => !p.EmulatorLimit).Select(p => p.Text).Distinct().ToList();
            if (analysis.Problems.Count > 0)
            {
                var why = new List<string>(invalid);
                if (limits.Count > 0)
                {
                    why.Add($"the sigil local control plane cannot evaluate {string.Join(", ", limits)} (kube-apiserver can; rewrite the rule or use a real cluster)");
                }
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {Quote(text)}: compilation failed: {string.Join("; ", why)}"));
            }
            if (usesOldSelf && !correlatable)
            {
                causes.Add(FieldCause.Invalid(field,
                    $"Invalid value: {Quote(text)}: oldSelf cannot be used on the uncorrelatable portion of the schema"));
            }
            if (analysis.Problems.Count > 0)
            {
                return null;
            }
            if (RuleCost.Estimate(tree, schema) is var cost and > RuleCost.Limit)
            {
                // As kube-apiserver: a rule that could take seconds on a large enough object is refused before any object exists.
                causes.Add(new FieldCause("FieldValueForbidden", field, $"{field}: Forbidden: {RuleCost.ExceedsBudget(cost)}"));
                return null;
            }
            return CelRuntime.Compile(text);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The Cel library reports syntax errors with its own exception types; all that matters here is the text.
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {Quote(text)}: compilation failed: {e.Message.ReplaceLineEndings(" ")}"));
            return null;
        }
    }

    /// <summary>kube-apiserver's fieldPath: <c>.a.b</c> and <c>['key']</c> steps through declared properties or map keys.</summary>
    internal static (IReadOnlyList<PathStep> Steps, string? Error) ParseFieldPath(string fieldPath, JsonObject schema)
    {
        var steps = new List<PathStep>();
        var i = 0;
        while (i < fieldPath.Length)
        {
            string name;
            if (fieldPath[i] == '.')
            {
                var end = fieldPath.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? fieldPath.Length : end;
                name = fieldPath[(i + 1)..end];
                i = end;
            }
            else if (fieldPath[i] == '[' && i + 1 < fieldPath.Length && fieldPath[i + 1] == '\'')
            {
                var close = fieldPath.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    return (steps, "unexpected end of JSON path");
                }
                name = fieldPath[(i + 2)..close].Replace("\\'", "'", StringComparison.Ordinal);
                i = close + 2;
            }
            else
            {
                return (steps, $"expected [ or . but got: {fieldPath[i..]}");
            }
            if (name.Length == 0)
            {
                return (steps, "unexpected end of JSON path");
            }
            if (schema["properties"] is JsonObject properties)
            {
                if (properties[name] is not JsonObject next)
                {
                    return (steps, "does not refer to a valid field");
                }
                steps.Add(new PathStep(name, IsKey: false));
                schema = next;
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                steps.Add(new PathStep(name, IsKey: true));
                schema = additional;
            }
            else
            {
                return (steps, "does not refer to a valid field");
            }
        }
        return (steps, null);
    }

    private static bool IsEmbedded(JsonObject schema) => schema["x-kubernetes-embedded-resource"]?.GetValueKind() == JsonValueKind.True;

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A Go-style quoted string; the default encoder would turn every quote in a rule into \u0027.</summary>
    internal static string Quote(string text) => JsonSerializer.Serialize(text, Readable);
}
