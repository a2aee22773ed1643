using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Reconciliation;

/// <summary>The objects Sigil writes, rendered from what it decided (pure: no API, no clock).</summary>
internal static class Rendering
{
    public const string TrustBundleName = "sigil-trust-bundle";

    public static V1Secret SvidSecret(ServiceIdentity identity, DesiredCertificate desired, SpiffeId spiffeId, IssuedSvid svid, string? rotationRequest) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta
        {
            Name = desired.SecretName,
            NamespaceProperty = identity.Metadata.NamespaceProperty,
            Labels = ManagedLabels(identity),
            Annotations = string.IsNullOrEmpty(rotationRequest)
                ? new Dictionary<string, string> { [Labels.SpiffeIdAnnotation] = spiffeId.ToString() }
                : new Dictionary<string, string> { [Labels.SpiffeIdAnnotation] = spiffeId.ToString(), [Labels.RotationRequestAnnotation] = rotationRequest },
            OwnerReferences = [OwnerReference(identity)],
        },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(svid.PrivateKeyPem),
            ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
        },
    };

    public static V1ConfigMap TrustBundle(string ns, string trustBundlePem, string? resourceVersion) => new()
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
        Data = new Dictionary<string, string> { ["ca.crt"] = trustBundlePem },
    };

    public static Dictionary<string, string> ManagedLabels(ServiceIdentity identity) => new()
    {
        [Labels.ManagedBy] = Labels.ManagedByValue,
        [Labels.Identity] = identity.Metadata.Name,
    };

    public static V1OwnerReference OwnerReference(ServiceIdentity identity) => new()
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
