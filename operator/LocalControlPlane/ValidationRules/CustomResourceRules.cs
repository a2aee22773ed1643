using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>Where a custom resource write meets its CRD's validation rules, after defaulting, pruning and schema validation.</summary>
internal static class CustomResourceRules
{
    /// <summary>
    /// The causes the rules add to those the schema already found. As kube-apiserver, rules are not run over an object
    /// whose schema errors make its values untrustworthy (a wrong type, a value too long, too many items, a value not
    /// in an enum); a single cause then says so.
    /// </summary>
    public static IReadOnlyList<FieldCause> Check(ResourceType type, JsonObject obj, JsonObject? current, IReadOnlyList<FieldCause> schemaCauses)
    {
        if (type.ValidationRules is not { } rules)
        {
            return [];
        }
        if (schemaCauses.Any(IsBlocking))
        {
            return
            [
                FieldCause.Invalid("<nil>", "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"),
            ];
        }
        return RuleEvaluator.Validate(rules, obj, current);
    }

    private static bool IsBlocking(FieldCause cause) =>
        cause.Reason is "FieldValueNotSupported" or "FieldValueTooLong" or "FieldValueTooMany" or "FieldValueTypeInvalid"
        || cause.Message.Contains(" must be of type ", StringComparison.Ordinal);
}
