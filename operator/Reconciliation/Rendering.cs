using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Reconciliation.Keys;

namespace Sigil.Reconciliation;

/// <summary>The objects Sigil writes, rendered from what it decided (pure: no API, no clock).</summary>
internal static class Rendering
{
    public const string TrustBundleName = "sigil-trust-bundle";

    public const string VerifierSuffix = "-verifiers";
    public const string RotatedAtAnnotation = "sigil.dev/rotated-at";
    public const string NextRotationRequestAnnotation = "sigil.dev/next-rotation-request";
    /// <summary>On a caller key Secret with a next key: since when every accepting receiver's keys.json has held it.</summary>
    public const string NextKeyStagedAtAnnotation = "sigil.dev/next-key-staged-at";

    public static V1Secret SvidSecret(ServiceIdentity identity, DesiredCertificate desired, SpiffeId spiffeId, IssuedSvid svid, string? rotationRequest)
    {
        var annotations = new Dictionary<string, string> { [Labels.SpiffeIdAnnotation] = spiffeId.ToString() };
        AddIfSet(annotations, Labels.RotationRequestAnnotation, rotationRequest);
        return ManagedSecret(identity, desired.SecretName, "kubernetes.io/tls", annotations, new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(svid.PrivateKeyPem),
            ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
        });
    }

    /// <summary>
    /// A caller's key Secret: the presented key (and the HMAC secret) of <paramref name="current"/>, and a
    /// <paramref name="next"/> key waiting to be promoted, which the caller does not present yet (every accepting
    /// receiver has held it since <paramref name="nextStagedAt"/>, when set).
    /// </summary>
    public static V1Secret CallerKeySecret(ServiceIdentity identity, SpiffeId spiffeId, string secretName, ApiKeySpec key, string type,
        ApiKeyMaterial? current, ApiKeyMaterial? next, DateTimeOffset rotatedAt, string? actedOn, string? nextRequest, DateTimeOffset? nextStagedAt = null)
    {
        var data = new Dictionary<string, byte[]>();
        if (current is not null)
        {
            data["api-key"] = Encoding.UTF8.GetBytes(current.Presented);
            data["key-id"] = Encoding.UTF8.GetBytes(current.KeyId);
            if (type == "HMACSHA256")
            {
                data["hmac-secret"] = Encoding.UTF8.GetBytes(current.Secret);
            }
        }
        if (next is not null)
        {
            data["next-api-key"] = Encoding.UTF8.GetBytes(next.Presented);
        }
        var annotations = new Dictionary<string, string>
        {
            [Labels.SpiffeIdAnnotation] = spiffeId.ToString(),
            ["sigil.dev/audience"] = key.Audience,
            ["sigil.dev/key-type"] = type,
            [RotatedAtAnnotation] = Timestamps.Format(rotatedAt),
        };
        AddIfSet(annotations, Labels.RotationRequestAnnotation, actedOn);
        AddIfSet(annotations, NextRotationRequestAnnotation, nextRequest);
        AddIfSet(annotations, NextKeyStagedAtAnnotation, next is not null && nextStagedAt is { } stagedAt ? Timestamps.Format(stagedAt) : null);
        return ManagedSecret(identity, secretName, "Opaque", annotations, data);
    }

    public static V1Secret VerifierSecret(ServiceIdentity receiver, IReadOnlyList<VerifierEntry> entries) =>
        ManagedSecret(receiver, receiver.Metadata.Name + VerifierSuffix, "Opaque", null,
            new Dictionary<string, byte[]> { ["keys.json"] = VerifierPlan.Serialize(entries) });

    /// <summary>Whether a trust-bundle ConfigMap holds exactly what <paramref name="trust"/> publishes.</summary>
    public static bool TrustBundleMatches(V1ConfigMap current, Authority.TrustSnapshot trust) =>
        current.Data is { } data && data.TryGetValue("ca.crt", out var pem) && pem == trust.BundlePem
        && data.TryGetValue("bundle.spiffe", out var spiffe) && spiffe == trust.SpiffeBundle && data.TryGetValue("jwks.json", out var jwks) && jwks == trust.Jwks;

    public static V1ConfigMap TrustBundle(string ns, Authority.TrustSnapshot trust, string? resourceVersion) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = TrustBundleName,
            NamespaceProperty = ns,
            ResourceVersion = resourceVersion,
            Labels = new Dictionary<string, string> { [Labels.ManagedBy] = Labels.ManagedByValue },
        },
        Data = new Dictionary<string, string>
        {
            ["ca.crt"] = trust.BundlePem,
            ["bundle.spiffe"] = trust.SpiffeBundle,
            ["jwks.json"] = trust.Jwks,
        },
    };

    /// <summary>Every Secret Sigil writes: labelled as Sigil's, owned by the identity (deleted with it), in its namespace.</summary>
    private static V1Secret ManagedSecret(ServiceIdentity identity, string name, string type, Dictionary<string, string>? annotations,
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

    private static void AddIfSet(Dictionary<string, string> annotations, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            annotations[key] = value;
        }
    }

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

    /// <summary>Whether a Secret found under the identity's chosen name is Sigil's, for this identity, to overwrite.</summary>
    public static bool IsOwnedBy(V1Secret secret, ServiceIdentity identity) =>
        secret.Metadata.Labels is { } labels && labels.TryGetValue(Labels.ManagedBy, out var managedBy) && managedBy == Labels.ManagedByValue
        && (secret.Metadata.OwnerReferences ?? []).Any(o => o.Uid == identity.Metadata.Uid);
}
