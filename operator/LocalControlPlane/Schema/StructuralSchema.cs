using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Schema;

/// <summary>
/// What kube-apiserver does with a CRD version's openAPIV3Schema on every write: apply defaults, prune
/// fields the schema does not declare, then validate. Error texts follow kube-apiserver's so that users
/// and tests see the same field paths. CEL rules (x-kubernetes-validations) are evaluated after this, by
/// ValidationRules/; x-kubernetes-list-type: set is checked here (duplicates are rejected).
/// </summary>
internal static class StructuralSchema
{
    private static readonly HashSet<string> RootFieldsNeverPruned = ["apiVersion", "kind", "metadata"];

    public static void ApplyDefaults(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, propertySchema) in properties)
                    {
                        if (propertySchema is not JsonObject ps)
                        {
                            continue;
                        }
                        if (!obj.ContainsKey(name) && ps["default"] is { } defaultValue)
                        {
                            obj[name] = defaultValue.DeepClone();
                        }
                        ApplyDefaults(obj[name], ps);
                    }
                }
                if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in obj)
                    {
                        ApplyDefaults(value, additional);
                    }
                }
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    ApplyDefaults(item, items);
                }
                break;
        }
    }

    /// <summary>Removes undeclared fields and returns their paths (for strict field validation).</summary>
    public static List<string> Prune(JsonObject root, JsonObject schema)
    {
        var pruned = new List<string>();
        PruneNode(root, schema, "", pruned, isRoot: true);
        return pruned;
    }

    private static void PruneNode(JsonNode? node, JsonObject schema, string path, List<string> pruned, bool isRoot = false)
    {
        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true && schema["properties"] is null)
        {
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
                foreach (var (name, value) in obj.ToList())
                {
                    if (isRoot && RootFieldsNeverPruned.Contains(name))
                    {
                        continue;
                    }
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (properties?[name] is JsonObject ps)
                    {
                        PruneNode(value, ps, childPath, pruned);
                    }
                    else if (additional is not null)
                    {
                        PruneNode(value, additional, childPath, pruned);
                    }
                    else if (!preserve)
                    {
                        obj.Remove(name);
                        pruned.Add(childPath);
                    }
                }
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++)
                {
                    PruneNode(array[i], items, $"{path}[{i}]", pruned);
                }
                break;
        }
    }

    public static List<FieldCause> Validate(JsonObject root, JsonObject schema)
    {
        var causes = new List<FieldCause>();
        // metadata is ObjectMeta's to check, not the CRD schema's: the root is read past it (no copies: this runs on every write).
        ValidateNode(root, schema, "", causes, skipMetadata: true);
        return causes;
    }

    private static void ValidateNode(JsonNode? node, JsonObject schema, string path, List<FieldCause> causes, bool skipMetadata = false)
    {
        var field = path.Length == 0 ? "<root>" : path;
        if (node is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true && schema["type"] is not null)
            {
                causes.Add(FieldCause.Invalid(field, $"Invalid value: \"null\": {field} in body must be of type {schema.Str("type")}: \"null\""));
            }
            return;
        }

        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var type = schema.Str("type");
        var kind = node.GetValueKind();
        if (type is not null && !intOrString && !HasType(node, kind, type))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: \"{JsonTypeName(kind)}\": {field} in body must be of type {type}: \"{JsonTypeName(kind)}\""));
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            var supported = string.Join(", ", allowed.Select(a => a?.ToJsonString()));
            causes.Add(new FieldCause("FieldValueNotSupported", field, $"{field}: Unsupported value: {node.ToJsonString()}: supported values: {supported}"));
        }

        switch (node)
        {
            case JsonObject obj:
                ValidateObject(obj, schema, path, field, causes, skipMetadata);
                break;
            case JsonArray array:
                ValidateArray(array, schema, path, field, causes);
                break;
            case JsonValue value when kind == JsonValueKind.String:
                ValidateString(value.GetValue<string>(), schema, field, causes);
                break;
            case JsonValue value when kind == JsonValueKind.Number:
                ValidateNumber(Json.Number(value), value.ToJsonString(), schema, field, causes);
                break;
        }
    }

    private static void ValidateObject(JsonObject obj, JsonObject schema, string path, string field, List<FieldCause> causes, bool skipMetadata)
    {
        var skipped = skipMetadata && obj.ContainsKey("metadata") ? 1 : 0;
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r?.GetValue<string>()).OfType<string>())
            {
                if (!obj.ContainsKey(name) && !(skipMetadata && name == "metadata"))
                {
                    causes.Add(FieldCause.Required(Join(path, name)));
                }
            }
        }
        var properties = schema["properties"] as JsonObject;
        foreach (var (name, value) in obj)
        {
            if (skipMetadata && name == "metadata")
            {
                continue;
            }
            if (properties?[name] is JsonObject ps)
            {
                ValidateNode(value, ps, Join(path, name), causes);
            }
            else if (schema["additionalProperties"] is JsonObject additional)
            {
                ValidateNode(value, additional, Join(path, name), causes);
            }
            else if (schema["additionalProperties"] is JsonValue v && v.GetValueKind() == JsonValueKind.False)
            {
                causes.Add(new FieldCause("FieldValueForbidden", Join(path, name), $"{Join(path, name)}: Forbidden: additional properties are not allowed"));
            }
        }
        var count = obj.Count - skipped;
        if (schema["maxProperties"] is JsonValue max && count > (int)Json.Number(max))
        {
            causes.Add(new FieldCause("FieldValueTooMany", field, $"{field}: Too many: {count}: must have at most {max} items"));
        }
        if (schema["minProperties"] is JsonValue min && count < (int)Json.Number(min))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {count}: {field} in body should have at least {min} properties"));
        }
    }

    private static void ValidateArray(JsonArray array, JsonObject schema, string path, string field, List<FieldCause> causes)
    {
        if (schema["minItems"] is JsonValue min && array.Count < (int)Json.Number(min))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {array.Count}: {field} in body should have at least {min} items"));
        }
        if (schema["maxItems"] is JsonValue max && array.Count > (int)Json.Number(max))
        {
            causes.Add(new FieldCause("FieldValueTooMany", field, $"{field}: Too many: {array.Count}: must have at most {max} items"));
        }
        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateNode(array[i], items, $"{path}[{i}]", causes);
            }
        }
        if (schema.Str("x-kubernetes-list-type") == "set")
        {
            // As kube-apiserver: a set lists each value once; the second occurrence is named.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < array.Count; i++)
            {
                var value = array[i]?.ToJsonString() ?? "null";
                if (!seen.Add(value))
                {
                    causes.Add(new FieldCause("FieldValueDuplicate", $"{field}[{i}]", $"{field}[{i}]: Duplicate value: {value}"));
                }
            }
        }
    }

    private static void ValidateString(string text, JsonObject schema, string field, List<FieldCause> causes)
    {
        var quoted = JsonSerializer.Serialize(text);
        if (schema["minLength"] is JsonValue min && text.Length < (int)Json.Number(min))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {quoted}: {field} in body should be at least {min} chars long"));
        }
        if (schema["maxLength"] is JsonValue max && text.Length > (int)Json.Number(max))
        {
            causes.Add(new FieldCause("FieldValueTooLong", field, $"{field}: Too long: may not be more than {max} bytes"));
        }
        if (schema.Str("pattern") is { } pattern && !Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {quoted}: {field} in body should match '{pattern}'"));
        }
        if (schema.Str("format") == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {quoted}: {field} in body must be of type date-time: {quoted}"));
        }
        if (schema.Str("format") == "duration" && !ValidationRules.CelValues.TryParseGoDuration(text, out _))
        {
            causes.Add(FieldCause.Invalid(field, $"Invalid value: {quoted}: {field} in body must be of type duration: {quoted}"));
        }
    }

    private static void ValidateNumber(double number, string text, JsonObject schema, string field, List<FieldCause> causes)
    {
        var exclusiveMin = schema["exclusiveMinimum"]?.GetValue<bool>() == true;
        var exclusiveMax = schema["exclusiveMaximum"]?.GetValue<bool>() == true;
        if (schema["minimum"] is JsonValue minimum)
        {
            var bound = Json.Number(minimum);
            if (exclusiveMin ? number <= bound : number < bound)
            {
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {text}: {field} in body should be greater than {(exclusiveMin ? "" : "or equal to ")}{minimum.ToJsonString()}"));
            }
        }
        if (schema["maximum"] is JsonValue maximum)
        {
            var bound = Json.Number(maximum);
            if (exclusiveMax ? number >= bound : number > bound)
            {
                causes.Add(FieldCause.Invalid(field, $"Invalid value: {text}: {field} in body should be less than {(exclusiveMax ? "" : "or equal to ")}{maximum.ToJsonString()}"));
            }
        }
    }

    private static bool HasType(JsonNode node, JsonValueKind kind, string type) => type switch
    {
        "object" => node is JsonObject,
        "array" => node is JsonArray,
        "string" => kind == JsonValueKind.String,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "number" => kind == JsonValueKind.Number,
        "integer" => kind == JsonValueKind.Number && double.IsInteger(Json.Number(node)),
        _ => true,
    };

    private static string JsonTypeName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
