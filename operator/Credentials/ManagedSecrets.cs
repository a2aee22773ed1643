using System.Text;
using k8s.Models;
using Sigil.Api;

namespace Sigil.Credentials;

/// <summary>
/// What every credential kind's Secret has in common (pure): the skeleton Sigil writes, the test of whether a Secret
/// found under a chosen name is Sigil's to overwrite, and reading fields back.
/// </summary>
internal static class ManagedSecrets
{
    /// <summary>Every Secret Sigil writes: labelled as Sigil's, owned by the identity (deleted with it), in its namespace.</summary>
    public static V1Secret ManagedSecret(ServiceIdentity identity, string name, string type, Dictionary<string, string>? annotations,
        Dictionary<string, byte[]> data) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = identity.Metadata.NamespaceProperty,
            Labels = ManagedLabels(identity),
            Annotations = annotations,
            OwnerReferences = [OwnerReference(identity)],
        },
        Type = type,
        Data = data,
    };

    /// <summary>Whether a Secret found under the identity's chosen name is Sigil's, for this identity, to overwrite.</summary>
    public static bool IsOwnedBy(V1Secret secret, ServiceIdentity identity) =>
        secret.Metadata.Labels is { } labels && labels.TryGetValue(Labels.ManagedBy, out var managedBy) && managedBy == Labels.ManagedByValue
        && (secret.Metadata.OwnerReferences ?? []).Any(o => o.Uid == identity.Metadata.Uid);

    /// <summary>The problem a credential reports when its Secret's name is taken by one Sigil did not create: it never overwrites it.</summary>
    /// <param name="fix">What to change, e.g. "delete it or set spec.x509.secretName to another name".</param>
    public static Readiness Conflict(string secretName, string fix) =>
        new(false, Reasons.SecretConflict, $"Secret {secretName} exists and was not created by Sigil for this identity: {fix}");

    public static void AddIfSet(Dictionary<string, string> annotations, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            annotations[key] = value;
        }
    }

    public static byte[]? Bytes(V1Secret? secret, string key) =>
        secret?.Data is { } data && data.TryGetValue(key, out var bytes) ? bytes : null;

    public static string? Text(V1Secret? secret, string key) => Bytes(secret, key) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    public static string? Annotation(V1Secret? secret, string key) =>
        secret?.Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out var value) ? value : null;

    private static Dictionary<string, string> ManagedLabels(ServiceIdentity identity) => new()
    {
        [Labels.ManagedBy] = Labels.ManagedByValue,
        [Labels.Identity] = identity.Metadata.Name,
    };

    private static V1OwnerReference OwnerReference(ServiceIdentity identity) => new()
    {
        ApiVersion = ServiceIdentity.GroupVersion,
        Kind = ServiceIdentity.KindName,
        Name = identity.Metadata.Name,
        Uid = identity.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };
}
