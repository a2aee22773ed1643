using Sigil.Credentials.X509;

namespace Sigil.Tests.Credentials.X509;

/// <summary>May an identity put this DNS name in its certificate? Written from the attacker's side first.</summary>
public sealed class DnsNamePolicyTests
{
    private const string Domain = "cluster.local";

    // (because, the identity's namespace, the name it asks for, its own Namespace's sigil.dev/allowed-dns-names)
    public static TheoryData<string, string, string, string?> Attacks => new()
    {
        { "another namespace's service, short form", "evil", "payments.shop", null },
        { "another namespace's service, .svc form", "evil", "payments.shop.svc", null },
        { "another namespace's service, fully qualified", "evil", "payments.shop.svc.cluster.local", null },
        { "another namespace's wildcard", "evil", "*.shop.svc", null },
        { "another namespace's fully qualified wildcard", "evil", "*.shop.svc.cluster.local", null },
        { "every service of the cluster", "evil", "*.svc.cluster.local", null },
        { "everything under the cluster domain", "evil", "*.cluster.local", null },
        { "the cluster domain itself", "evil", "cluster.local", null },
        { "the API server's name", "evil", "kubernetes.default.svc", null },
        { "the API server's fully qualified name", "evil", "kubernetes.default.svc.cluster.local", null },
        { "the API server's short name", "evil", "kubernetes.default", null },
        { "the API server's bare name", "evil", "kubernetes", null },
        { "a namespace whose name starts like the victim's", "shop", "payments.shopx.svc", null },
        { "the victim's namespace as a prefix of a longer label", "shopx", "payments.shop.svc", null },
        { "its own namespace with a foreign suffix after .svc", "shop", "x.shop.svc.evil", null },
        { "its own service name under a foreign domain", "shop", "payments.shop.svc.cluster.local.evil.com", null },
        { "its own service under a swapped cluster domain", "shop", "payments.shop.svc.other.local", null },
        { "its own wildcard under a swapped cluster domain", "shop", "*.shop.svc.other.local", null },
        { "its own namespace's bare wildcard, which is no service's name", "shop", "*.shop", null },
        { "a wildcard over .svc", "shop", "*.svc", null },
        { "a two-label service in its own namespace", "shop", "a.b.shop.svc", null },
        { "a two-label service, fully qualified", "shop", "a.b.shop.svc.cluster.local", null },
        { "a wildcard that reaches two labels deep", "shop", "*.*.shop.svc", null },
        { "a wildcard that is not a whole label", "shop", "pay*.shop.svc", null },
        { "a wildcard in the middle", "shop", "payments.*.svc", null },
        { "a bare wildcard", "shop", "*", null },
        { "its own fully qualified name with a trailing dot", "shop", "payments.shop.svc.cluster.local.", null },
        { "its own name with a trailing dot", "shop", "payments.shop.svc.", null },
        { "an empty label", "shop", "payments..shop.svc", null },
        { "a leading dot", "shop", ".shop.svc", null },
        { "the empty name", "shop", "", null },
        { "another namespace in upper case", "evil", "PAYMENTS.SHOP.SVC", null },
        { "another namespace in mixed case", "evil", "Payments.Shop.Svc.Cluster.Local", null },
        { "a Kelvin sign that lower-cases to k", "evil", "\u212Aubernetes.default.svc", null },
        { "a Cyrillic a that looks like a Latin one", "evil", "p\u0430yments.shop.svc", null },
        { "a dotted capital I that lower-cases to i", "evil", "\u0130.evil.svc", null },
        { "a punycode label for another namespace", "evil", "payments.xn--shp-1na.svc", null },
        { "a punycode lookalike of the API server", "evil", "xn--kubernetes-xyz.default.svc", null },
        { "an IPv4 address", "evil", "10.0.0.1", null },
        { "an IPv4-looking name in its own namespace's form", "10", "0.10", null },
        { "an IPv4 address even when the annotation lists it", "evil", "10.0.0.1", "10.0.0.1" },
        { "a label with an underscore", "shop", "pay_ments.shop.svc", null },
        { "a label that starts with a hyphen", "shop", "-payments.shop.svc", null },
        { "a label over 63 characters", "shop", new string('a', 64) + ".shop.svc", null },
        { "an outside name without the annotation", "evil", "api.shop.example.com", null },
        { "the pattern's parent under *.shop.example.com", "evil", "shop.example.com", "*.shop.example.com" },
        { "two labels under *.shop.example.com", "evil", "a.b.shop.example.com", "*.shop.example.com" },
        { "a wider wildcard than *.shop.example.com", "evil", "*.example.com", "*.shop.example.com" },
        { "a deeper wildcard than *.shop.example.com", "evil", "*.a.shop.example.com", "*.shop.example.com" },
        { "a sibling domain of *.shop.example.com", "evil", "api.shopx.example.com", "*.shop.example.com" },
        { "a name that ends with the pattern's suffix but not at a dot", "evil", "apishop.example.com", "*.shop.example.com" },
        { "an exact annotation entry does not allow names under it", "evil", "api.shop.example.com", "shop.example.com" },
        { "an exact annotation entry does not allow a wildcard under it", "evil", "*.shop.example.com", "api.shop.example.com" },
        { "a malformed pattern allows nothing", "evil", "api.example.com", "**.example.com" },
        { "a pattern without its dot allows nothing", "evil", "api.example.com", "*example.com" },
        { "a bare * in the annotation allows nothing", "evil", "anything", "*" },
        { "a trailing-dot annotation entry allows nothing", "evil", "api.example.com", "api.example.com." },
        { "the annotation does not turn on another namespace's default names", "evil", "payments.shop.svc", "*.example.com" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void An_identity_may_not_claim_a_name_outside_its_namespace(string because, string ns, string name, string? annotation)
    {
        Assert.False(DnsNamePolicy.MayClaim(name, ns, Domain, annotation), because);
    }

    public static TheoryData<string, string, string, string?> Allowed => new()
    {
        { "its own service, short form", "shop", "payments.shop", null },
        { "its own service, .svc form", "shop", "payments.shop.svc", null },
        { "its own service, fully qualified", "shop", "payments.shop.svc.cluster.local", null },
        { "its own namespace's wildcard", "shop", "*.shop.svc", null },
        { "its own namespace's fully qualified wildcard", "shop", "*.shop.svc.cluster.local", null },
        { "its own service in upper case (DNS names compare case-insensitively)", "shop", "PAYMENTS.Shop.SVC", null },
        { "a service named svc", "shop", "svc.shop.svc", null },
        { "a punycode service label in its own namespace", "shop", "xn--pymnts-7ra.shop.svc", null },
        { "the API server's name, from the default namespace", "default", "kubernetes.default.svc", null },
        { "an exact name the annotation lists", "evil", "api.example.com", "api.example.com" },
        { "one label under a pattern", "evil", "api.shop.example.com", "*.shop.example.com" },
        { "the pattern itself as a wildcard", "evil", "*.shop.example.com", "*.shop.example.com" },
        { "a pattern among several, with whitespace around entries", "evil", "api.shop.example.com", " other.example.org ,  *.shop.example.com , " },
        { "an annotation in upper case", "evil", "api.shop.example.com", "*.SHOP.Example.COM" },
        { "another namespace's name the Namespace's editor chose to grant", "evil", "payments.shop.svc", "payments.shop.svc" },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void An_identity_may_claim_its_own_service_names_and_what_its_Namespace_grants(string because, string ns, string name, string? annotation)
    {
        Assert.True(DnsNamePolicy.MayClaim(name, ns, Domain, annotation), because);
    }

    [Fact]
    public void The_cluster_domain_is_the_one_configured()
    {
        Assert.True(DnsNamePolicy.MayClaim("payments.shop.svc.corp.internal", "shop", "corp.internal", null));
        Assert.False(DnsNamePolicy.MayClaim("payments.shop.svc.cluster.local", "shop", "corp.internal", null));
    }

    [Fact]
    public void The_message_names_the_first_name_not_allowed_and_the_annotation_that_would_allow_it()
    {
        var message = DnsNamePolicy.FirstNotAllowed(["evil.evil.svc", "payments.shop.svc", "kubernetes.default.svc"], "evil", Domain, null);

        Assert.Equal("spec.x509.dnsNames \"payments.shop.svc\" is not a name of namespace evil: names outside it need the Namespace annotation sigil.dev/allowed-dns-names", message);
    }

    [Fact]
    public void The_message_says_when_the_annotation_is_there_but_does_not_cover_the_name()
    {
        var message = DnsNamePolicy.FirstNotAllowed(["x.y.shop.example.com"], "evil", Domain, "*.shop.example.com");

        Assert.EndsWith("sigil.dev/allowed-dns-names (its current value does not cover this name)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IP_address_is_refused_without_pointing_at_an_annotation_that_cannot_help()
    {
        var message = DnsNamePolicy.FirstNotAllowed(["10.0.0.1"], "evil", Domain, "10.0.0.1");

        Assert.Equal("spec.x509.dnsNames \"10.0.0.1\" reads as an IP address, which no DNS name may be: remove it", message);
    }

    [Fact]
    public void Names_all_allowed_give_no_message()
    {
        Assert.Null(DnsNamePolicy.FirstNotAllowed(["payments.shop.svc", "*.shop.svc.cluster.local"], "shop", Domain, null));
        Assert.Null(DnsNamePolicy.FirstNotAllowed([], "shop", Domain, null));
    }
}
