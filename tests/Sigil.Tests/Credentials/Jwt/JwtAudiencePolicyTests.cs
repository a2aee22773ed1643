using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Credentials.Jwt;

namespace Sigil.Tests.Credentials.Jwt;

/// <summary>
/// Which audiences an identity may hold a JWT-SVID for, and with what aud. Written from the attacker's side: a token
/// carrying a receiver's SPIFFE ID is a credential that receiver honours, so only the receiver's acceptsFrom grants it.
/// </summary>
public sealed class JwtAudiencePolicyTests
{
    private const string TrustDomain = "cluster.local";

    private static ServiceIdentity Identity(string ns, string name, string? serviceAccount = null, string[]? accepts = null, params (string Name, string Audience)[] audiences) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"{ns}-{name}" },
        Spec = new ServiceIdentitySpec
        {
            ServiceAccountName = serviceAccount,
            AcceptsFrom = accepts?.Select(a => a.StartsWith("spiffe://", StringComparison.Ordinal)
                ? new AcceptedCaller { SpiffeId = a } : new AcceptedCaller { ServiceIdentity = a }).ToList(),
            Jwt = audiences.Length == 0 ? null : new JwtSpec { Audiences = [.. audiences.Select(a => new JwtAudienceSpec { Name = a.Name, Audience = a.Audience })] },
        },
    };

    private static ServiceIdentity Caller(string ns, string name, string audience) => Identity(ns, name, null, null, ("t", audience));

    // (because, the caller, the rest of the cluster, the expected aud, or the expected reason and a part of its message)
    private static readonly Dictionary<string, (ServiceIdentity Caller, ServiceIdentity[] Others, string? Aud, string? Reason, string? Message)> Table = new()
    {
        ["a receiver of its namespace that accepts the caller by name gets a token with the receiver's SPIFFE ID as aud"] =
            (Caller("shop", "payments", "orders"), [Identity("shop", "orders", accepts: ["payments"])], "spiffe://cluster.local/ns/shop/sa/orders", null, null),
        ["the aud of a name is the receiver's SPIFFE ID, from its service account"] =
            (Caller("shop", "payments", "orders"), [Identity("shop", "orders", serviceAccount: "orders-sa", accepts: ["payments"])], "spiffe://cluster.local/ns/shop/sa/orders-sa", null, null),
        ["a receiver that accepts the caller by SPIFFE ID grants it"] =
            (Caller("web", "frontend", "spiffe://cluster.local/ns/shop/sa/orders"), [Identity("shop", "orders", accepts: ["spiffe://cluster.local/ns/web/sa/frontend"])],
                "spiffe://cluster.local/ns/shop/sa/orders", null, null),
        ["a receiver that does not list the caller says who must add whom"] =
            (Caller("shop", "payments", "orders"), [Identity("shop", "orders", accepts: ["billing"])], null, Reasons.NotAccepted,
                "jwt.audiences[t]: shop/orders does not accept this identity: add {serviceIdentity: payments} to its spec.acceptsFrom"),
        ["a receiver with no acceptsFrom is not accepting"] =
            (Caller("shop", "payments", "orders"), [Identity("shop", "orders")], null, Reasons.NotAccepted, "add {serviceIdentity: payments}"),
        ["a receiver of another namespace named by SPIFFE ID that does not accept says to add the caller's SPIFFE ID"] =
            (Caller("web", "frontend", "spiffe://cluster.local/ns/shop/sa/orders"), [Identity("shop", "orders", accepts: ["payments"])], null, Reasons.NotAccepted,
                "shop/orders does not accept this identity: add {spiffeID: spiffe://cluster.local/ns/web/sa/frontend} to its spec.acceptsFrom"),
        ["a name that matches no identity yet waits for it"] =
            (Caller("shop", "payments", "orders"), [], null, Reasons.Pending, "no ServiceIdentity \"orders\" in namespace shop yet"),
        ["an https URL is issued as asked"] =
            (Caller("shop", "payments", "https://vault.example.com"), [], "https://vault.example.com", null, null),
        ["a SPIFFE ID of another trust domain is issued as asked"] =
            (Caller("shop", "payments", "spiffe://partner.example/ns/shop/sa/orders"), [Identity("shop", "orders")], "spiffe://partner.example/ns/shop/sa/orders", null, null),
        // Attacker's side: a namespace that has not created its identity yet must not find tokens for it already valid.
        ["a SPIFFE ID of this trust domain that no identity has yet waits for that identity"] =
            (Caller("shop", "payments", "spiffe://cluster.local/ns/legacy/sa/app"), [], null, Reasons.Pending,
                "no ServiceIdentity has SPIFFE ID spiffe://cluster.local/ns/legacy/sa/app yet"),
        // Attacker's side.
        ["an identity of another namespace naming a receiver by name never gets that receiver's SPIFFE ID"] =
            (Caller("evil", "thief", "orders"), [Identity("shop", "orders", accepts: ["thief", "spiffe://cluster.local/ns/evil/sa/thief"])], null, Reasons.Pending,
                "no ServiceIdentity \"orders\" in namespace evil yet"),
        ["a same-named identity in the attacker's namespace gives its own SPIFFE ID, never the victim's"] =
            (Caller("evil", "thief", "orders"), [Identity("shop", "orders", accepts: ["thief"]), Identity("evil", "orders", accepts: ["thief"])],
                "spiffe://cluster.local/ns/evil/sa/orders", null, null),
        ["acceptsFrom by name reaches only the receiver's namespace: a same-named caller elsewhere is not accepted"] =
            (Caller("evil", "payments", "spiffe://cluster.local/ns/shop/sa/orders"), [Identity("shop", "orders", accepts: ["payments"]), Identity("shop", "payments")],
                null, Reasons.NotAccepted, "add {spiffeID: spiffe://cluster.local/ns/evil/sa/payments}"),
        ["a caller claiming the accepted caller's service account in another namespace has another SPIFFE ID"] =
            (Identity("evil", "x", "payments", null, ("t", "spiffe://cluster.local/ns/shop/sa/orders")),
                [Identity("shop", "orders", accepts: ["spiffe://cluster.local/ns/shop/sa/payments"])], null, Reasons.NotAccepted, "shop/orders does not accept"),
        ["a receiver's SPIFFE ID given by the caller still needs the receiver's consent"] =
            (Caller("shop", "payments", "spiffe://cluster.local/ns/shop/sa/orders"), [Identity("shop", "orders")], null, Reasons.NotAccepted, "shop/orders does not accept"),
        ["accepting another caller's name does not accept this one"] =
            (Caller("shop", "payments", "orders"), [Identity("shop", "orders", accepts: ["payments-v2", "spiffe://cluster.local/ns/shop/sa/paymentsx"])], null, Reasons.NotAccepted, null),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_audience_gets_a_token_only_as_consent_allows(string because)
    {
        var (caller, others, aud, reason, message) = Table[because];
        var desired = DesiredJwt.FromSpec(caller, caller.Spec.Jwt!).Jwt!;

        var verdict = Assert.Single(JwtAudiencePolicy.Decide(caller, desired, [caller, .. others], TrustDomain));

        Assert.True(aud == verdict.Aud, $"{because}: aud {verdict.Aud ?? "none"} ({verdict.Reason}: {verdict.Message})");
        Assert.Equal(reason, verdict.Reason);
        Assert.Equal(aud is not null, verdict.Issue);
        if (message is not null)
        {
            Assert.True(verdict.Message?.Contains(message, StringComparison.Ordinal) == true, $"{because}: got {verdict.Message}");
        }
    }

    [Fact]
    public void Each_audience_is_decided_on_its_own_so_one_not_accepted_leaves_the_others_issued()
    {
        var caller = Identity("shop", "payments", null, null, ("orders", "orders"), ("billing", "billing"), ("vault", "https://vault.example.com"));
        var desired = DesiredJwt.FromSpec(caller, caller.Spec.Jwt!).Jwt!;

        var verdicts = JwtAudiencePolicy.Decide(caller, desired, [caller, Identity("shop", "orders", accepts: ["payments"]), Identity("shop", "billing")], TrustDomain);

        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/orders", null, "https://vault.example.com"], verdicts.Select(v => v.Aud));
        Assert.Equal(Reasons.NotAccepted, verdicts[1].Reason);
    }

    [Fact]
    public void A_receivers_acceptsFrom_change_wakes_the_callers_whose_JWT_audiences_name_it()
    {
        var orders = Identity("shop", "orders", accepts: ["payments"]);
        var byName = Caller("shop", "payments", "orders");
        var bySpiffeId = Caller("web", "frontend", "spiffe://cluster.local/ns/shop/sa/orders");
        var elsewhere = Caller("evil", "thief", "orders");
        var url = Caller("shop", "vaulty", "https://vault.example.com");

        var related = Consent.Related(orders, [orders, byName, bySpiffeId, elsewhere, url], TrustDomain).Select(i => i.Metadata.Name).ToList();

        Assert.Equal(["payments", "frontend"], related);
        Assert.Equal(["orders"], Consent.Related(byName, [orders, byName, bySpiffeId], TrustDomain).Select(i => i.Metadata.Name));
    }
}
