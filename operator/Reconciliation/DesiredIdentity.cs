using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Reconciliation.Policies;

namespace Sigil.Reconciliation;

/// <summary>A ServiceIdentity's x509 spec with defaults applied and every rule checked: what to issue.</summary>
internal sealed record DesiredCertificate(string SecretName, TimeSpan Ttl, TimeSpan RenewBefore, KeyAlgorithm KeyAlgorithm, IReadOnlyList<string> DnsNames);

/// <summary>The outcome of reading a spec: what it asks for, or a one-line message saying what to change.</summary>
internal sealed record DesiredIdentity(SpiffeId SpiffeId, DesiredCertificate? Certificate, string? Invalid)
{
    /// <summary>
    /// Why no certificate may be issued (a DNS name the identity may not claim), or null. The spec is valid, so the
    /// identity's other credentials still proceed; <see cref="Certificate"/> is then null, so nothing can issue by mistake.
    /// </summary>
    public string? NotAllowed { get; init; }

    public static readonly TimeSpan MinTtl = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(8760);
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);
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

        var secretName = SecretClaimPolicy.X509SecretName(identity, x509);
        if (!DnsSubdomain().IsMatch(secretName) || secretName.Length > 253)
        {
            return Invalid(spiffeId, $"spec.x509.secretName \"{secretName}\" is not a valid Secret name");
        }
        var ttlText = string.IsNullOrEmpty(x509.Ttl) ? null : x509.Ttl;
        var ttl = DesiredIdentity.DefaultTtl;
        if (ttlText is not null && !Durations.TryParse(ttlText, out ttl))
        {
            return Invalid(spiffeId, $"spec.x509.ttl \"{ttlText}\" is not a duration: write it like 24h or 90m");
        }
        if (ttl < DesiredIdentity.MinTtl || ttl > DesiredIdentity.MaxTtl)
        {
            return Invalid(spiffeId, $"spec.x509.ttl {Durations.Format(ttl)} is out of range: use between 1m and 8760h");
        }
        var renewBefore = TimeSpan.FromTicks(ttl.Ticks / 3);
        if (!string.IsNullOrEmpty(x509.RenewBefore))
        {
            if (!Durations.TryParse(x509.RenewBefore, out renewBefore))
            {
                return Invalid(spiffeId, $"spec.x509.renewBefore \"{x509.RenewBefore}\" is not a duration: write it like 8h or 30m");
            }
            if (renewBefore >= ttl || renewBefore <= TimeSpan.Zero)
            {
                return Invalid(spiffeId, $"spec.x509.renewBefore {x509.RenewBefore} must be shorter than ttl {Durations.Format(ttl)} and above zero");
            }
        }
        if (!KeyAlgorithms.TryParse(x509.KeyAlgorithm, out var algorithm))
        {
            return Invalid(spiffeId, $"spec.x509.keyAlgorithm \"{x509.KeyAlgorithm}\" is not supported: use one of {string.Join(", ", Enum.GetNames<KeyAlgorithm>())}");
        }
        var dnsNames = x509.DnsNames?.ToList() ?? [];
        if (dnsNames.FirstOrDefault(d => !DnsName().IsMatch(d) || d.Length > 253) is { } badDns)
        {
            return Invalid(spiffeId, $"spec.x509.dnsNames entry \"{badDns}\" is not a DNS name");
        }
        if (DnsNamePolicy.FirstNotAllowed(dnsNames, ns, clusterDomain, allowedDnsNames) is { } notAllowed)
        {
            return new DesiredIdentity(spiffeId, null, null) { NotAllowed = notAllowed };
        }
        return new DesiredIdentity(spiffeId, new DesiredCertificate(secretName, ttl, renewBefore, algorithm, dnsNames.Distinct().ToList()), null);
    }

    private static DesiredIdentity Invalid(SpiffeId id, string message) => new(id, null, message);

    /// <summary>
    /// The CRD's CEL rules (x-kubernetes-validations) on spec as a whole, apiKeys and acceptsFrom. The x509 rules (ttl
    /// range, renewBefore &lt; ttl) are checked above with the fields they read, and rotation's "exactly one of every and
    /// schedule" in <see cref="Keys.KeySchedule.Parse"/>.
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

    [GeneratedRegex(@"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsName();
}
