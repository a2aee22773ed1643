using System.Net;
using Sigil.Identity;

namespace Sigil.Issuer;

/// <summary>
/// The names in the issuer's own certificate: the SPIFFE ID of the operator's ServiceAccount, every name its Service
/// answers to inside the cluster, and the host of --issuer-url (an IP SAN when it is an address: clients check
/// https://127.0.0.1:8443 against IP SANs only, RFC 6125 and RFC 9110 4.3.4).
/// </summary>
internal sealed record ServingNames(SpiffeId SpiffeId, IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> IpAddresses)
{
    /// <summary>The chart's Service and ServiceAccount: the default issuer URL is https://sigil.&lt;namespace&gt;.svc:8443.</summary>
    public const string ServiceName = "sigil";

    public static ServingNames For(string trustDomain, string ns, string clusterDomain, string issuerUrl)
    {
        var dns = new List<string> { ServiceName, $"{ServiceName}.{ns}", $"{ServiceName}.{ns}.svc", $"{ServiceName}.{ns}.svc.{clusterDomain}" };
        var ips = new List<IPAddress>();
        var issuer = new Uri(issuerUrl);
        if (issuer.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            ips.Add(IPAddress.Parse(issuer.DnsSafeHost));
        }
        else if (!dns.Contains(issuer.IdnHost, StringComparer.OrdinalIgnoreCase))
        {
            // IdnHost: a SAN holds the A-label (punycode) form of an internationalized name.
            dns.Add(issuer.IdnHost.ToLowerInvariant());
        }
        return new ServingNames(new SpiffeId(trustDomain, ns, ServiceName), dns, ips);
    }

    public SvidRequest Request(TimeSpan ttl) => new(SpiffeId, DnsNames, KeyAlgorithm.ECDSAP256, ttl) { IpAddresses = IpAddresses };
}
