using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.LocalControlPlane.Catalog;

/// <summary>
/// Turns a CustomResourceDefinition into the resources it serves, checks what kube-apiserver checks
/// before accepting one, and writes the status a real apiextensions controller would.
/// </summary>
internal static class CrdRegistration
{
    public static List<FieldCause> Validate(JsonObject crd)
    {
        var causes = new List<FieldCause>();
        var spec = crd["spec"] as JsonObject;
        var group = spec.Str("group");
        var plural = spec?["names"].Str("plural");
        if (string.IsNullOrEmpty(group))
        {
            causes.Add(FieldCause.Required("spec.group"));
        }
        if (string.IsNullOrEmpty(plural))
        {
            causes.Add(FieldCause.Required("spec.names.plural"));
        }
        if (string.IsNullOrEmpty(spec?["names"].Str("kind")))
        {
            causes.Add(FieldCause.Required("spec.names.kind"));
        }
        if (spec.Str("scope") is not ("Namespaced" or "Cluster"))
        {
            causes.Add(new FieldCause("FieldValueNotSupported", "spec.scope",
                $"spec.scope: Unsupported value: \"{spec.Str("scope")}\": supported values: \"Cluster\", \"Namespaced\""));
        }
        var versions = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (versions.Count == 0)
        {
            causes.Add(FieldCause.Required("spec.versions"));
        }
        else if (versions.Count(v => v["storage"]?.GetValue<bool>() == true) != 1)
        {
            causes.Add(FieldCause.Invalid("spec.versions", "Invalid value: must have exactly one version marked as storage version"));
        }
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]["schema"]?["openAPIV3Schema"] is JsonObject schema)
            {
                causes.AddRange(RuleCompiler.Compile(schema, $"spec.versions[{i}].schema.openAPIV3Schema").Causes);
            }
        }
        if (group is not null && plural is not null && crd.Name() != $"{plural}.{group}")
        {
            causes.Add(FieldCause.Invalid("metadata.name", $"Invalid value: \"{crd.Name()}\": must be spec.names.plural+\".\"+spec.group"));
        }
        return causes;
    }

    public static IReadOnlyList<ResourceType> ServedVersions(JsonObject crd)
    {
        var spec = (JsonObject)crd["spec"]!;
        var names = (JsonObject)spec["names"]!;
        var kind = names.Str("kind")!;
        return (spec["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => v["served"]?.GetValue<bool>() != false)
            .Select(v => new ResourceType(
                spec.Str("group")!, v.Str("name")!, names.Str("plural")!, names.Str("singular") ?? kind.ToLowerInvariant(),
                kind, spec.Str("scope") == "Namespaced", crd.Name())
            {
                ShortNames = Strings(names["shortNames"]),
                Categories = Strings(names["categories"]),
                HasStatus = v["subresources"]?["status"] is not null,
                TracksGeneration = true,
                IsBuiltIn = false,
                Schema = v["schema"]?["openAPIV3Schema"] as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                PrinterColumns = v["additionalPrinterColumns"] as JsonArray,
                ValidationRules = v["schema"]?["openAPIV3Schema"] is JsonObject schema ? RuleCompiler.Compile(schema, "").Root : null,
            })
            .ToList();
    }

    /// <summary>The status the apiextensions controllers would write once names are accepted.</summary>
    public static JsonObject EstablishedStatus(JsonObject crd, string now)
    {
        var spec = (JsonObject)crd["spec"]!;
        var names = (JsonObject)spec["names"]!.DeepClone();
        names["singular"] ??= names.Str("kind")!.ToLowerInvariant();
        names["listKind"] ??= names.Str("kind") + "List";
        var storage = (spec["versions"] as JsonArray)!.OfType<JsonObject>().First(v => v["storage"]?.GetValue<bool>() == true).Str("name");
        var stored = crd["status"]?["storedVersions"] as JsonArray;
        var storedVersions = stored?.Select(Json.ScalarText).ToList() ?? [];
        if (!storedVersions.Contains(storage))
        {
            storedVersions.Add(storage);
        }
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now)),
            ["acceptedNames"] = names,
            ["storedVersions"] = new JsonArray(storedVersions.Select(v => (JsonNode?)v).ToArray()),
        };
    }

    private static JsonObject Condition(string type, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    private static string[] Strings(JsonNode? node) =>
        (node as JsonArray)?.Select(Json.ScalarText).OfType<string>().ToArray() ?? [];
}
