using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.X509;

namespace Sigil.Reconciliation;

/// <summary>The outcome of reading a spec: what it asks for, or a one-line message saying what to change.</summary>
internal sealed record DesiredIdentity(SpiffeId SpiffeId, DesiredCertificate? Certificate, string? Invalid)
{
    /// <summary>
    /// Why no certificate may be issued (a DNS name the identity may not claim), or null. The spec is valid, so the
    /// identity's other credentials still proceed; <see cref="Certificate"/> is then null, so nothing can issue by mistake.
    /// </summary>
    public string? NotAllowed { get; init; }
}

/// <summary>
/// Defaults and validates a spec: what the CRD schema and its CEL rules enforce on a real cluster,
/// checked again here because the operator must not trust that they ran (older clusters, the emulator).
/// </summary>
internal static partial class SpecResolver
{
    /// <param name="clusterDomain">--cluster-domain: the suffix of this namespace's service names.</param>
    /// <param name="allowedDnsNames">The identity's own Namespace's sigil.dev/allowed-dns-names annotation, if any.</param>
    public static DesiredIdentity Resolve(ServiceIdentity identity, string trustDomain,
        string clusterDomain = DnsNamePolicy.DefaultClusterDomain, string? allowedDnsNames = null)
    {
        var name = identity.Metadata.Name;
        var ns = identity.Metadata.NamespaceProperty;
        var serviceAccount = string.IsNullOrEmpty(identity.Spec.ServiceAccountName) ? name : identity.Spec.ServiceAccountName;
        var spiffeId = new SpiffeId(trustDomain, ns, serviceAccount);
        if (!DnsSubdomain().IsMatch(serviceAccount) || serviceAccount.Length > 253)
        {
            return new DesiredIdentity(spiffeId, null, $"spec.serviceAccountName \"{serviceAccount}\" is not a valid Kubernetes name: use lower-case letters, digits, '-' and '.'");
        }
        if (SpecRules(identity.Spec) is { } broken)
        {
            return Invalid(spiffeId, broken);
        }
        if (identity.Spec.X509 is not { } x509)
        {
            return new DesiredIdentity(spiffeId, null, null);
        }

        var (certificate, invalid, notAllowed) = DesiredCertificate.FromSpec(identity, x509, clusterDomain, allowedDnsNames);
        return invalid is not null ? Invalid(spiffeId, invalid) : new DesiredIdentity(spiffeId, certificate, null) { NotAllowed = notAllowed };
    }

    private static DesiredIdentity Invalid(SpiffeId id, string message) => new(id, null, message);

    /// <summary>
    /// The CRD's CEL rules (x-kubernetes-validations) on spec as a whole, apiKeys and acceptsFrom. The x509 rules (ttl
    /// range, renewBefore &lt; ttl) are checked in <see cref="DesiredCertificate.FromSpec"/> with the fields they read, and rotation's "exactly one of every and
    /// schedule" in <see cref="KeySchedule.Parse"/>.
    /// </summary>
    private static string? SpecRules(ServiceIdentitySpec spec)
    {
        var keys = spec.ApiKeys ?? [];
        if (keys.GroupBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"spec.apiKeys has {twice.Count()} keys named \"{twice.Key}\": names must be unique";
        }
        var accepts = spec.AcceptsFrom ?? [];
        for (var i = 0; i < accepts.Count; i++)
        {
            if (string.IsNullOrEmpty(accepts[i].ServiceIdentity) == string.IsNullOrEmpty(accepts[i].SpiffeId))
            {
                return $"spec.acceptsFrom[{i}] needs exactly one of serviceIdentity and spiffeID";
            }
        }
        return null;
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
