using Sigil.Api;

namespace Sigil.Credentials.X509;

/// <summary>
/// May an identity in a namespace put this DNS name in its certificate? A certificate for another namespace's service
/// (or for kubernetes.default.svc) lets whoever holds it impersonate that service to every client that checks names,
/// so by default an identity may claim only its own namespace's service names; anything else needs the Namespace
/// annotation sigil.dev/allowed-dns-names, which only whoever may edit Namespaces can set (PRODUCT.md, "Names an
/// identity may claim").
/// </summary>
internal static class DnsNamePolicy
{
    public const string DefaultClusterDomain = "cluster.local";

    /// <summary>The message for the first name in <paramref name="names"/> the identity may not claim, or null when it may claim them all.</summary>
    /// <param name="allowedDnsNames">The value of the identity's own Namespace's sigil.dev/allowed-dns-names annotation, if any.</param>
    public static string? FirstNotAllowed(IEnumerable<string> names, string ns, string clusterDomain, string? allowedDnsNames)
    {
        var patterns = Patterns(allowedDnsNames);
        foreach (var name in names)
        {
            if (!MayClaim(name, ns, clusterDomain, patterns))
            {
                // No annotation helps an address, so the message must not suggest one.
                return LabelsOf(name) is { } labels && LooksLikeAnIpAddress(labels)
                    ? $"spec.x509.dnsNames \"{name}\" reads as an IP address, which no DNS name may be: remove it"
                    : NotAllowedMessage(name, ns, allowedDnsNames);
            }
        }
        return null;
    }

    public static bool MayClaim(string name, string ns, string clusterDomain, string? allowedDnsNames) =>
        MayClaim(name, ns, clusterDomain, Patterns(allowedDnsNames));

    private static bool MayClaim(string name, string ns, string clusterDomain, IReadOnlyList<string[]> patterns)
    {
        if (LabelsOf(name) is not { } labels || LooksLikeAnIpAddress(labels))
        {
            return false;
        }
        return IsOwnServiceName(labels, ns.ToLowerInvariant(), clusterDomain.TrimEnd('.').ToLowerInvariant())
            || patterns.Any(pattern => Matches(labels, pattern));
    }

    private static string NotAllowedMessage(string name, string ns, string? allowedDnsNames) =>
        $"spec.x509.dnsNames \"{name}\" is not a name of namespace {ns}: names outside it need the Namespace annotation {Labels.AllowedDnsNamesAnnotation}"
        + (string.IsNullOrWhiteSpace(allowedDnsNames) ? "" : " (its current value does not cover this name)");

    /// <summary>
    /// &lt;svc&gt;.&lt;ns&gt;, &lt;svc&gt;.&lt;ns&gt;.svc, &lt;svc&gt;.&lt;ns&gt;.svc.&lt;cluster domain&gt;, and the last two with * for &lt;svc&gt;:
    /// the names the cluster's DNS gives this namespace's Services, and nothing the namespace does not own.
    /// </summary>
    private static bool IsOwnServiceName(string[] labels, string ns, string clusterDomain)
    {
        if (labels.Length < 2 || labels[1] != ns)
        {
            return false;
        }
        var wildcard = labels[0] == "*";
        var rest = string.Join('.', labels.Skip(2));
        return rest switch
        {
            // *.<ns> would cover every name one label under a bare namespace name, which is no Service's name.
            "" => !wildcard,
            "svc" => true,
            _ => rest == "svc." + clusterDomain,
        };
    }

    /// <summary>
    /// An annotation entry matches itself exactly; "*.suffix" also matches one label (never "*", never two labels) under
    /// the suffix. So "*.shop.example.com" allows api.shop.example.com and *.shop.example.com, and neither
    /// shop.example.com nor a.b.shop.example.com nor *.example.com.
    /// </summary>
    private static bool Matches(string[] labels, string[] pattern)
    {
        if (labels.Length != pattern.Length)
        {
            return false;
        }
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] != pattern[i] && !(i == 0 && pattern[0] == "*"))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The annotation's entries as label lists; entries that are not names or "*." patterns match nothing.</summary>
    private static List<string[]> Patterns(string? allowedDnsNames) =>
        [.. (allowedDnsNames ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(LabelsOf).OfType<string[]>()];

    /// <summary>
    /// The name's labels, lower-cased, or null when it is not a plain ASCII DNS name: empty labels (a trailing or doubled
    /// dot), characters outside [a-z0-9-] (checked before lower-casing, since Unicode case mapping turns the Kelvin sign
    /// into "k"), hyphens at a label's edge, labels over 63 characters, names over 253, or "*" anywhere but as the whole
    /// first label.
    /// </summary>
    private static string[]? LabelsOf(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return null;
        }
        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label == "*" && i == 0 && labels.Length > 1)
            {
                continue;
            }
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return null;
            }
            labels[i] = label.ToLowerInvariant();
        }
        return labels;
    }

    /// <summary>All-numeric labels read as an IPv4 address to many clients; such a name belongs in an IP SAN, never a DNS one.</summary>
    private static bool LooksLikeAnIpAddress(string[] labels) => labels.All(l => l.All(char.IsAsciiDigit));
}
