using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials.X509;

/// <summary>A ServiceIdentity's x509 spec with defaults applied and every rule checked: what to issue.</summary>
internal sealed partial record DesiredCertificate(string SecretName, TimeSpan Ttl, TimeSpan RenewBefore, KeyAlgorithm KeyAlgorithm, IReadOnlyList<string> DnsNames)
{
    public static readonly TimeSpan MinTtl = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(8760);
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);

    /// <summary>
    /// Defaults and validates spec.x509 (pure). <c>Invalid</c> is a one-line message saying what to change in the spec;
    /// <c>NotAllowed</c> says which DNS name the identity may not claim (the spec is valid, so its other credentials proceed).
    /// </summary>
    /// <param name="clusterDomain">--cluster-domain: the suffix of this namespace's service names.</param>
    /// <param name="allowedDnsNames">The identity's own Namespace's sigil.dev/allowed-dns-names annotation, if any.</param>
    public static (DesiredCertificate? Certificate, string? Invalid, string? NotAllowed) FromSpec(ServiceIdentity identity, X509Spec x509,
        string clusterDomain, string? allowedDnsNames)
    {
        var secretName = SecretClaimPolicy.X509SecretName(identity, x509);
        if (!DnsSubdomain().IsMatch(secretName) || secretName.Length > 253)
        {
            return Invalid($"spec.x509.secretName \"{secretName}\" is not a valid Secret name");
        }
        var ttlText = string.IsNullOrEmpty(x509.Ttl) ? null : x509.Ttl;
        var ttl = DefaultTtl;
        if (ttlText is not null && !Durations.TryParse(ttlText, out ttl))
        {
            return Invalid($"spec.x509.ttl \"{ttlText}\" is not a duration: write it like 24h or 90m");
        }
        if (ttl < MinTtl || ttl > MaxTtl)
        {
            return Invalid($"spec.x509.ttl {Durations.Format(ttl)} is out of range: use between 1m and 8760h");
        }
        var renewBefore = TimeSpan.FromTicks(ttl.Ticks / 3);
        if (!string.IsNullOrEmpty(x509.RenewBefore))
        {
            if (!Durations.TryParse(x509.RenewBefore, out renewBefore))
            {
                return Invalid($"spec.x509.renewBefore \"{x509.RenewBefore}\" is not a duration: write it like 8h or 30m");
            }
            if (renewBefore >= ttl || renewBefore <= TimeSpan.Zero)
            {
                return Invalid($"spec.x509.renewBefore {x509.RenewBefore} must be shorter than ttl {Durations.Format(ttl)} and above zero");
            }
        }
        if (!KeyAlgorithms.TryParse(x509.KeyAlgorithm, out var algorithm))
        {
            return Invalid($"spec.x509.keyAlgorithm \"{x509.KeyAlgorithm}\" is not supported: use one of {string.Join(", ", Enum.GetNames<KeyAlgorithm>())}");
        }
        var dnsNames = x509.DnsNames?.ToList() ?? [];
        if (dnsNames.FirstOrDefault(d => !DnsName().IsMatch(d) || d.Length > 253) is { } badDns)
        {
            return Invalid($"spec.x509.dnsNames entry \"{badDns}\" is not a DNS name");
        }
        if (DnsNamePolicy.FirstNotAllowed(dnsNames, identity.Metadata.NamespaceProperty, clusterDomain, allowedDnsNames) is { } notAllowed)
        {
            return (null, null, notAllowed);
        }
        return (new DesiredCertificate(secretName, ttl, renewBefore, algorithm, dnsNames.Distinct().ToList()), null, null);
    }

    private static (DesiredCertificate?, string?, string?) Invalid(string message) => (null, message, null);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsName();
}
