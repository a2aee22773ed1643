using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Cel.Internal;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// kube-apiserver's static cost estimate of a rule, approximated: each comprehension (all, exists, exists_one, map,
/// filter) costs the size of its range times the cost of its body, and a range's size comes from the schema at that
/// place (maxItems, maxProperties, maxLength) or, when the schema sets none, from how many of the smallest element fit
/// in a 3 MB request. Without it a rule quadratic in an unbounded list is accepted and one write of a few thousand items
/// holds the store's write lock for seconds; kube-apiserver refuses such a CRD at creation, and so does this.
/// The figures are not kube's to the unit (its estimator knows every function's cost); they agree on what matters:
/// nested comprehensions over unbounded lists are refused, the same over lists of a few dozen items are not.
/// </summary>
internal static class RuleCost
{
    /// <summary>kube-apiserver's per-rule limit (apiextensions StaticEstimatedCostLimit).</summary>
    public const double Limit = 1_000_000;

    /// <summary>kube-apiserver's estimate of the largest request body (3 MB), the bound on anything the schema leaves unbounded.</summary>
    private const long MaxRequestSizeBytes = 3 * 1024 * 1024;

    /// <summary>The rule's estimated worst-case cost with <c>self</c> typed by <paramref name="schema"/>.</summary>
    public static double Estimate(CelParser.StartContext tree, JsonObject schema)
    {
        var self = Value.Of(schema);
        var scope = ImmutableDictionary<string, Value>.Empty.Add("self", self).Add("oldSelf", self);
        return Cost(tree, scope).Cost;
    }

    /// <summary>kube-apiserver's words for a rule over budget (apiextensions getCostErrorMessage).</summary>
    public static string ExceedsBudget(double cost)
    {
        var factor = cost / Limit;
        var text = factor > 100 ? "more than 100x"
            : factor < 1.5 ? factor.ToString("F6", CultureInfo.InvariantCulture) + "x"
            : factor.ToString("F1", CultureInfo.InvariantCulture) + "x";
        return $"estimated rule cost exceeds budget by factor of {text} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)";
    }

    /// <summary>What is known of an expression's value: its schema when it is a place in the object, else its size.</summary>
    private sealed record Value(JsonObject? Schema, double? Size, Value? Element)
    {
        public static readonly Value Unknown = new(null, null, null);

        public static Value Of(JsonObject? schema) => schema is null ? Unknown : new(schema, null, null);

        /// <summary>How many items a comprehension over this value visits, or characters a string function reads.</summary>
        public double Cardinality => Size ?? (Schema is { } s ? SchemaCardinality(s) : Unbounded(0));

        /// <summary>The comprehension variable: a list's item, a map's key.</summary>
        public Value Item => Element ?? (Schema is { } s
            ? s.Str("type") == "array" ? Of(s["items"] as JsonObject) : Of(new JsonObject { ["type"] = "string" })
            : Unknown);

        public Value Field(string name) =>
            Schema?["properties"]?[name] is JsonObject property ? Of(property)
            : Schema?["additionalProperties"] is JsonObject additional ? Of(additional)
            : Unknown;
    }

    private readonly record struct Result(double Cost, Value Value);

    private static Result Cost(IParseTree node, ImmutableDictionary<string, Value> scope)
    {
        switch (node)
        {
            case CelParser.IdentOrGlobalCallContext { op: null } identifier:
                return new(1, scope.GetValueOrDefault(identifier.id.Text, Value.Unknown));
            case CelParser.IdentOrGlobalCallContext call:
                {
                    var args = (call.exprList()?._e ?? []).Select(a => Cost(a, scope)).ToList();
                    var read = call.id.Text is "size" or "has" ? 0 : args.Sum(a => Traversal(a.Value));
                    return new(1 + args.Sum(a => a.Cost) + read, Value.Unknown);
                }
            case CelParser.SelectContext select:
                {
                    var operand = Cost(select.member(), scope);
                    return new(operand.Cost + 1, operand.Value.Field(select.id?.Text ?? ""));
                }
            case CelParser.IndexContext index:
                {
                    var operand = Cost(index.member(), scope);
                    return new(operand.Cost + Cost(index.index, scope).Cost + 1, operand.Value.Item);
                }
            case CelParser.MemberCallContext call:
                return MemberCall(call, scope);
            case CelParser.CreateListContext list:
                {
                    var elements = Children(list, scope);
                    return new(1 + elements.Sum(e => e.Cost), new Value(null, elements.Count, Value.Unknown));
                }
            case CelParser.RelationContext relation when relation.ChildCount == 3:
                {
                    var left = Cost(relation.GetChild(0), scope);
                    var right = Cost(relation.GetChild(2), scope);
                    // Comparing or searching reads the values: a string's characters, a list's items for 'in'.
                    var read = relation.GetChild(1).GetText() == "in" ? right.Value.Cardinality : Math.Max(Traversal(left.Value), Traversal(right.Value));
                    return new(1 + left.Cost + right.Cost + read, Value.Unknown);
                }
            case ITerminalNode:
            case CelParser.ConstantLiteralContext:
                return new(0, Value.Unknown);
        }
        var children = Children(node, scope);
        return children.Count == 1 && node.ChildCount <= 3 && node is not CelParser.UnaryContext { ChildCount: > 1 }
            ? children[0] // a wrapper (expr, member, primary, '(' e ')') is its operand
            : new(children.Sum(c => c.Cost) + (children.Count > 1 ? 1 : 0), Value.Unknown);
    }

    private static Result MemberCall(CelParser.MemberCallContext call, ImmutableDictionary<string, Value> scope)
    {
        var name = call.id.Text;
        var args = call.exprList()?._e ?? [];
        var receiver = Cost(call.member(), scope);
        if (CelRuntime.Macros.Contains(name) && args.Count == 2)
        {
            var range = receiver.Value;
            var body = Cost(args[1], scope.SetItem(args[0].GetText(), range.Item));
            var size = range.Cardinality;
            // Each iteration also combines the body's result into the accumulator.
            var cost = receiver.Cost + size * (body.Cost + 1) + 1;
            return name switch
            {
                "filter" => new(cost, new Value(range.Schema, size, range.Item)),
                "map" => new(cost, new Value(null, size, body.Value)),
                _ => new(cost, Value.Unknown),
            };
        }
        var argCosts = args.Select(a => Cost(a, scope)).ToList();
        // Every string function but size() reads its strings through.
        var read = name == "size" ? 0 : Traversal(receiver.Value) + argCosts.Sum(a => Traversal(a.Value));
        var total = 1 + receiver.Cost + argCosts.Sum(a => a.Cost) + read;
        var result = name switch
        {
            // A string split yields at most one part per character; the list functions read every item.
            "split" => new Value(null, receiver.Value.Cardinality, new Value(new JsonObject { ["type"] = "string" }, null, null)),
            _ => Value.Unknown,
        };
        if (name is "join" or "sum" or "min" or "max" or "isSorted" or "indexOf" or "lastIndexOf" && IsList(receiver.Value))
        {
            total += receiver.Value.Cardinality;
        }
        return new(total, result);
    }

    private static List<Result> Children(IParseTree node, ImmutableDictionary<string, Value> scope)
    {
        var results = new List<Result>();
        for (var i = 0; i < node.ChildCount; i++)
        {
            if (node.GetChild(i) is not ITerminalNode)
            {
                results.Add(Cost(node.GetChild(i), scope));
            }
        }
        return results;
    }

    /// <summary>The cost of reading a string value through, as kube-apiserver charges it: a tenth of a unit per character.</summary>
    private static double Traversal(Value value) =>
        value.Schema?.Str("type") == "string" ? Math.Ceiling(value.Cardinality * 0.1) : 0;

    private static bool IsList(Value value) => value.Element is not null || value.Schema?.Str("type") == "array";

    private static double SchemaCardinality(JsonObject schema) => schema.Str("type") switch
    {
        "array" => Number(schema["maxItems"]) ?? Unbounded(MinSize(schema["items"] as JsonObject)),
        "string" => StringLength(schema),
        "object" when schema["additionalProperties"] is JsonObject values =>
            Number(schema["maxProperties"]) ?? Math.Floor((MaxRequestSizeBytes - 2) / (MinSize(values) + 6.0)),
        "object" => Number(schema["maxProperties"]) ?? (schema["properties"] as JsonObject)?.Count ?? Unbounded(0),
        _ => Unbounded(0),
    };

    /// <summary>
    /// As kube-apiserver: maxLength counts characters and a character may take four bytes, so the bound is four times it;
    /// without one, the longest enum value, a format's longest text, or the whole request.
    /// </summary>
    private static double StringLength(JsonObject schema) =>
        Number(schema["maxLength"]) is { } maxLength ? maxLength * 4
        : schema["enum"] is JsonArray values ? values.Max(v => Json.ScalarText(v)?.Length ?? 0)
        : schema.Str("format") switch
        {
            "date" => 10,
            "date-time" or "duration" => 32,
            _ => MaxRequestSizeBytes - 2,
        };

    /// <summary>As kube-apiserver: as many of the smallest item, each with its comma, as fit in a request.</summary>
    private static double Unbounded(long minItemSize) => Math.Floor((MaxRequestSizeBytes - 2) / (minItemSize + 1.0));

    /// <summary>
    /// The fewest bytes a value of this schema serializes to, as kube-apiserver counts it: an object is its braces
    /// plus each required property without a default, name, quotes, colon and comma included.
    /// </summary>
    private static long MinSize(JsonObject? schema) => schema?.Str("type") switch
    {
        "boolean" => 4,
        "integer" or "number" => 1,
        "string" or "array" => 2,
        "object" => 2 + ((schema["required"] as JsonArray)?.Select(Json.ScalarText).OfType<string>()
            .Where(name => schema["properties"]?[name] is JsonObject property && property["default"] is null)
            .Sum(name => name.Length + MinSize(schema["properties"]![name] as JsonObject) + 4) ?? 0),
        _ => 1,
    };

    /// <summary>A bound from the schema; YAML converted without types can give it as text.</summary>
    private static double? Number(JsonNode? node) =>
        node is JsonValue && double.TryParse(Json.ScalarText(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;
}
