using k8s.Models;
using Sigil.Api;
using Sigil.Authority;

namespace Sigil.Reconciliation;

/// <summary>ConfigMap sigil-trust-bundle, rendered from the trust set (pure): what every namespace with an identity holds.</summary>
internal static class TrustBundleConfigMap
{
    public const string Name = "sigil-trust-bundle";

    /// <summary>Whether a trust-bundle ConfigMap holds exactly what <paramref name="trust"/> publishes.</summary>
    public static bool Matches(V1ConfigMap current, TrustSnapshot trust) =>
        current.Data is { } data && data.TryGetValue("ca.crt", out var pem) && pem == trust.BundlePem
        && data.TryGetValue("bundle.spiffe", out var spiffe) && spiffe == trust.SpiffeBundle && data.TryGetValue("jwks.json", out var jwks) && jwks == trust.Jwks;

    /// <summary>
    /// Which parts of <paramref name="trust"/> a Sigil bundle holds: Sigil writes the three documents together from one
    /// snapshot, so ca.crt current means the x509 part of bundle.spiffe is too, and jwks.json current its jwt-svid part.
    /// </summary>
    public static BundleHeld Held(V1ConfigMap current, TrustSnapshot trust) => new(
        current.Data is { } d && d.TryGetValue("ca.crt", out var pem) && pem == trust.BundlePem,
        current.Data is { } j && j.TryGetValue("jwks.json", out var jwks) && jwks == trust.Jwks);

    public static V1ConfigMap Render(string ns, TrustSnapshot trust, string? resourceVersion) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
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
}
