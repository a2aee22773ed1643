using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>kube-apiserver's checks of a write's fieldManager and force options, and how it names the manager.</summary>
internal static class PatchOptionsRules
{
    public const string ApplyPatchType = "application/apply-patch+yaml";
    private const int FieldManagerMaxLength = 128;

    /// <summary>The fieldManager parameter, else the User-Agent up to its first '/' (printable characters, at most 128).</summary>
    public static string ManagerName(string? fieldManager, string? userAgent)
    {
        if (!string.IsNullOrEmpty(fieldManager))
        {
            return fieldManager;
        }
        var prefix = (userAgent ?? "").Split('/')[0];
        var printable = new string(prefix.Where(c => !char.IsControl(c)).ToArray());
        return printable.Length > FieldManagerMaxLength ? printable[..FieldManagerMaxLength] : printable;
    }

    /// <summary>ValidatePatchOptions (and the fieldManager part of create and update options): a 422 naming each problem.</summary>
    public static void Validate(string optionsKind, bool isApply, bool isPatch, string? fieldManager, bool forceGiven)
    {
        var causes = new List<FieldCause>();
        if (isApply && string.IsNullOrEmpty(fieldManager))
        {
            causes.Add(new FieldCause("FieldValueRequired", "fieldManager", "fieldManager: Required value: is required for apply patch"));
        }
        if (isPatch && !isApply && forceGiven)
        {
            causes.Add(new FieldCause("FieldValueForbidden", "force", "force: Forbidden: may not be specified for non-apply patch"));
        }
        if (fieldManager is { Length: > FieldManagerMaxLength })
        {
            causes.Add(new FieldCause("FieldValueTooLong", "fieldManager",
                $"fieldManager: Too long: may not be more than {FieldManagerMaxLength} bytes"));
        }
        else if (fieldManager is not null && fieldManager.Any(char.IsControl))
        {
            causes.Add(FieldCause.Invalid("fieldManager", $"Invalid value: {System.Text.Json.JsonSerializer.Serialize(fieldManager)}: must only contain printable characters"));
        }
        if (causes.Count > 0)
        {
            throw ApiException.Invalid($"{optionsKind}.meta.k8s.io", "", causes);
        }
    }
}
