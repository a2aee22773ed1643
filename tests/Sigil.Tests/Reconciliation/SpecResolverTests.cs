using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.X509;
using Sigil.Identity;
using Sigil.Reconciliation;

namespace Sigil.Tests.Reconciliation;

public sealed class SpecResolverTests
{
    private static ServiceIdentity Identity(X509Spec? x509, string? serviceAccount = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" },
        Spec = new ServiceIdentitySpec { ServiceAccountName = serviceAccount, X509 = x509 },
    };

    [Fact]
    public void Defaults_follow_the_product_contract()
    {
        var desired = SpecResolver.Resolve(Identity(new X509Spec()), "cluster.local");

        Assert.Null(desired.Invalid);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", desired.SpiffeId.ToString());
        Assert.Equal(new DesiredCertificate("payments-svid", TimeSpan.FromHours(24), TimeSpan.FromHours(8), KeyAlgorithm.ECDSAP256, []),
            desired.Certificate! with { DnsNames = [] });
    }

    [Fact]
    public void The_SPIFFE_ID_always_uses_the_identitys_own_namespace()
    {
        var desired = SpecResolver.Resolve(Identity(null, serviceAccount: "frontend"), "example.org");

        Assert.Equal("spiffe://example.org/ns/shop/sa/frontend", desired.SpiffeId.ToString());
        Assert.Null(desired.Certificate);
        Assert.Null(desired.Invalid);
    }

    public static TheoryData<string, X509Spec, string?, string> Invalid => new()
    {
        { "an unparsable ttl names the field and the format", new X509Spec { Ttl = "1 day" }, null, "spec.x509.ttl \"1 day\" is not a duration" },
        { "a ttl under a minute is out of range", new X509Spec { Ttl = "30s" }, null, "out of range" },
        { "a ttl over a year is out of range", new X509Spec { Ttl = "8761h" }, null, "out of range" },
        { "renewBefore must be shorter than ttl", new X509Spec { Ttl = "1h", RenewBefore = "1h" }, null, "must be shorter than ttl" },
        { "an unknown key algorithm lists the supported ones", new X509Spec { KeyAlgorithm = "DSA" }, null, "use one of ECDSAP256" },
        { "a bad DNS name is named", new X509Spec { DnsNames = ["Not_DNS"] }, null, "\"Not_DNS\" is not a DNS name" },
        { "a bad service account name is named", new X509Spec(), "Bad Name", "spec.serviceAccountName" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void What_the_schema_should_have_rejected_is_reported_with_what_to_change(string because, X509Spec x509, string? serviceAccount, string messagePart)
    {
        var desired = SpecResolver.Resolve(Identity(x509, serviceAccount), "cluster.local");

        Assert.True(desired.Invalid?.Contains(messagePart, StringComparison.Ordinal) == true, $"{because}: got {desired.Invalid ?? "valid"}");
        Assert.Null(desired.Certificate);
    }

    public static TheoryData<string, ServiceIdentitySpec, string> BrokenCelRules => new()
    {
        { "two API keys with one name break the uniqueness rule", new ServiceIdentitySpec { ApiKeys = [Key("orders"), Key("orders")] },
            "spec.apiKeys has 2 keys named \"orders\": names must be unique" },
        { "an acceptsFrom entry with neither serviceIdentity nor spiffeID", new ServiceIdentitySpec { AcceptsFrom = [new AcceptedCaller()] },
            "spec.acceptsFrom[0] needs exactly one of serviceIdentity and spiffeID" },
        { "an acceptsFrom entry with both serviceIdentity and spiffeID", new ServiceIdentitySpec
            {
                AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "web" }, new AcceptedCaller { ServiceIdentity = "web", SpiffeId = "spiffe://cluster.local/ns/web/sa/web" }],
            }, "spec.acceptsFrom[1] needs exactly one of serviceIdentity and spiffeID" },
        { "a rule broken besides a certificate stops the certificate too", new ServiceIdentitySpec { X509 = new X509Spec(), ApiKeys = [Key("a"), Key("a")] },
            "names must be unique" },
    };

    [Theory]
    [MemberData(nameof(BrokenCelRules))]
    public void The_CRDs_CEL_rules_hold_even_where_CEL_did_not_run(string because, ServiceIdentitySpec spec, string message)
    {
        var desired = SpecResolver.Resolve(new ServiceIdentity { Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" }, Spec = spec }, "cluster.local");

        Assert.True(desired.Invalid == message || desired.Invalid?.EndsWith(message, StringComparison.Ordinal) == true, $"{because}: got {desired.Invalid ?? "valid"}");
        Assert.Null(desired.Certificate);
    }

    [Fact]
    public void Distinct_API_key_names_and_well_formed_acceptsFrom_entries_are_valid()
    {
        var spec = new ServiceIdentitySpec
        {
            ApiKeys = [Key("orders"), Key("billing")],
            AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "web" }, new AcceptedCaller { SpiffeId = "spiffe://cluster.local/ns/web/sa/web" }],
        };

        Assert.Null(SpecResolver.Resolve(new ServiceIdentity { Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" }, Spec = spec }, "cluster.local").Invalid);
    }

    [Fact]
    public void A_DNS_name_of_another_namespace_is_not_allowed_and_issues_nothing()
    {
        var desired = SpecResolver.Resolve(Identity(new X509Spec { DnsNames = ["payments.shop.svc", "payments.other.svc"] }), "cluster.local");

        Assert.Null(desired.Invalid);
        Assert.Null(desired.Certificate);
        Assert.StartsWith("spec.x509.dnsNames \"payments.other.svc\" is not a name of namespace shop", desired.NotAllowed, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Namespace_annotation_and_the_cluster_domain_reach_the_name_policy()
    {
        var x509 = new X509Spec { DnsNames = ["api.shop.example.com", "payments.shop.svc.corp.internal"] };

        var allowed = SpecResolver.Resolve(Identity(x509), "cluster.local", "corp.internal", "*.shop.example.com");
        var defaultDomain = SpecResolver.Resolve(Identity(x509), "cluster.local", allowedDnsNames: "*.shop.example.com");

        Assert.Null(allowed.NotAllowed);
        Assert.Equal(["api.shop.example.com", "payments.shop.svc.corp.internal"], allowed.Certificate!.DnsNames);
        Assert.Contains("payments.shop.svc.corp.internal", defaultDomain.NotAllowed, StringComparison.Ordinal);
    }

    private static ApiKeySpec Key(string name) => new() { Name = name, Audience = "orders", Rotation = new RotationSpec { Every = "720h" } };
}
