using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Issuer.Token;

namespace Sigil.Tests.Issuer.Token;

/// <summary>
/// Who may have a token for whom, and with which scopes, mostly from the attacker's side: names that reach into other
/// namespaces, receivers that accept someone else, scopes asked beyond what is listed, other trust domains.
/// </summary>
public sealed class TokenGrantPolicyTests
{
    private const string Td = "cluster.local";

    private static ServiceIdentity Identity(string name, string ns, string? sa = null, params AcceptedCaller[] accepts) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"{ns}/{name}" },
        Spec = new ServiceIdentitySpec { ServiceAccountName = sa, AcceptsFrom = accepts.Length == 0 ? null : accepts },
    };

    private static AcceptedCaller ByName(string name, params string[] scopes) => new() { ServiceIdentity = name, Scopes = scopes.Length == 0 ? null : scopes };

    private static AcceptedCaller ById(string id, params string[] scopes) => new() { SpiffeId = id, Scopes = scopes.Length == 0 ? null : scopes };

    private static string Id(string ns, string sa) => $"spiffe://{Td}/ns/{ns}/sa/{sa}";

    /// <summary>Resolves the target as the endpoint's gathering does (by name: the caller's namespace; by SPIFFE ID: whoever has it), then decides.</summary>
    private static (TokenGrant? Grant, TokenError? Error) Decide(ServiceIdentity caller, string target, string[] scopes, params ServiceIdentity[] others)
    {
        var all = others.Append(caller).ToList();
        var callerId = Consent.IdOf(caller, Td).ToString();
        var receivers = target.StartsWith("spiffe://", StringComparison.Ordinal)
            ? all.Where(i => Consent.IdOf(i, Td).ToString() == target).ToList()
            : all.Where(i => i.Metadata.NamespaceProperty == caller.Metadata.NamespaceProperty && i.Metadata.Name == target).ToList();
        var sharing = all.Where(i => Consent.IdOf(i, Td).ToString() == callerId).ToList();
        return TokenGrantPolicy.Decide(new TokenGrantInput(caller, callerId, new TokenRequest(target, scopes), receivers, sharing, Td));
    }

    public sealed record Case(string Sentence, ServiceIdentity Caller, string Target, string[] Scopes, ServiceIdentity[] Others, string? Audience, string[]? Granted, string? Error)
    {
        public override string ToString() => Sentence;
    }

    private static readonly ServiceIdentity Payments = Identity("payments", "shop");
    private static readonly ServiceIdentity Mallory = Identity("mallory", "evil");
    private static readonly ServiceIdentity MalloryAsPayments = Identity("payments", "evil");

    public static IEnumerable<Case[]> Cases() => CaseList.Select(c => new[] { c });

    private static readonly Case[] CaseList =
    [
        new Case("a receiver of the caller's namespace that names it by name grants what its entry lists",
            Payments, "orders", [], [Identity("orders", "shop", null, ByName("payments", "orders.read", "orders.write"))],
            Id("shop", "orders"), ["orders.read", "orders.write"], null),
        new Case("requested scopes are cut down to those the entry lists",
            Payments, "orders", ["orders.read", "orders.admin"], [Identity("orders", "shop", null, ByName("payments", "orders.read", "orders.write"))],
            Id("shop", "orders"), ["orders.read"], null),
        new Case("a receiver by SPIFFE ID in another namespace that names the caller by SPIFFE ID grants",
            Payments, Id("billing", "ledger"), ["ledger.write"], [Identity("ledger", "billing", null, ById(Id("shop", "payments"), "ledger.write"))],
            Id("billing", "ledger"), ["ledger.write"], null),
        new Case("the audience is the receiver's SPIFFE ID, from its service account, not its name",
            Payments, "orders", [], [Identity("orders", "shop", "orders-sa", ByName("payments"))],
            Id("shop", "orders-sa"), [], null),
        new Case("scopes listed by two matching entries are granted together",
            Payments, "orders", [], [Identity("orders", "shop", null, ByName("payments", "a"), ById(Id("shop", "payments"), "b"))],
            Id("shop", "orders"), ["a", "b"], null),
        new Case("a receiver that accepts someone else refuses with invalid_target",
            Payments, "orders", [], [Identity("orders", "shop", null, ByName("frontend", "orders.read"))],
            null, null, "invalid_target"),
        new Case("a receiver that accepts no one refuses with invalid_target",
            Payments, "orders", [], [Identity("orders", "shop")],
            null, null, "invalid_target"),
        new Case("a caller of another namespace naming a receiver by name reaches only its own namespace's identity of that name",
            Mallory, "orders", [], [Identity("orders", "shop", null, ByName("mallory"), ById(Id("evil", "mallory")))],
            null, null, "invalid_target"),
        new Case("a caller of another namespace with the same name as an accepted caller is not that caller",
            MalloryAsPayments, Id("shop", "orders"), [], [Payments, Identity("orders", "shop", null, ByName("payments", "orders.write"))],
            null, null, "invalid_target"),
        new Case("a serviceIdentity entry never names an identity of the caller's namespace when the receiver is elsewhere",
            Payments, Id("billing", "ledger"), [], [Identity("ledger", "billing", null, ByName("payments"))],
            null, null, "invalid_target"),
        new Case("asking for a scope the entry does not list is invalid_scope (no escalation)",
            Payments, "orders", ["orders.admin"], [Identity("orders", "shop", null, ByName("payments", "orders.read"))],
            null, null, "invalid_scope"),
        new Case("asking for any scope from an entry that lists none is invalid_scope",
            Payments, "orders", ["orders.read"], [Identity("orders", "shop", null, ByName("payments"))],
            null, null, "invalid_scope"),
        new Case("scopes another caller's entry lists are not the caller's",
            Payments, "orders", ["orders.admin"], [Identity("orders", "shop", null, ByName("payments", "orders.read"), ByName("admin", "orders.admin"))],
            null, null, "invalid_scope"),
        new Case("another trust domain's SPIFFE ID is invalid_target even when the path matches a receiver here",
            Payments, "spiffe://evil.example/ns/shop/sa/orders", [], [Identity("orders", "shop", null, ByName("payments"))],
            null, null, "invalid_target"),
        new Case("a trust domain that merely starts like ours is another trust domain",
            Payments, "spiffe://cluster.local.evil.example/ns/shop/sa/orders", [], [Identity("orders", "shop", null, ByName("payments"))],
            null, null, "invalid_target"),
        new Case("a SPIFFE ID of this trust domain that no identity has is invalid_target",
            Payments, Id("shop", "ghost"), [], [Identity("orders", "shop", null, ByName("payments"))],
            null, null, "invalid_target"),
        new Case("a name that does not exist in the caller's namespace is invalid_target",
            Payments, "ghost", [], [Identity("ghost", "other", null, ByName("payments"))],
            null, null, "invalid_target"),
        new Case("a caller may have a token for itself when it accepts itself",
            Identity("payments", "shop", null, ByName("payments", "self")), "payments", [], [],
            Id("shop", "payments"), ["self"], null),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Grants_follow_the_receivers_acceptsFrom_entry(Case c)
    {
        var (grant, error) = Decide(c.Caller, c.Target, c.Scopes, c.Others);

        Assert.Equal(c.Error, error?.Error);
        Assert.Equal(c.Audience, grant?.Audience);
        Assert.Equal(c.Granted, grant?.Scopes.ToArray());
        if (error is not null)
        {
            Assert.Equal(400, error.Status);
            Assert.DoesNotContain("shop/", error.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_receiver_and_one_that_refuses_the_caller_get_the_same_description()
    {
        var (_, unknown) = Decide(Payments, "ghost", [], []);
        var (_, refusing) = Decide(Payments, "orders", [], [Identity("orders", "shop", null, ByName("frontend"))]);

        Assert.Equal(unknown, refusing);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_grant_decision_agrees_with_Consent_which_decides_API_keys_and_JWT_SVIDs(Case c)
    {
        if (c.Target.StartsWith("spiffe://", StringComparison.Ordinal) && !c.Target.StartsWith($"spiffe://{Td}/", StringComparison.Ordinal))
        {
            return;
        }
        var all = c.Others.Append(c.Caller).ToList();
        var receivers = Consent.Receivers(c.Target, c.Caller, all, Td);
        var consents = receivers.Any(r => Consent.Accepts(r, Consent.IdOf(c.Caller, Td).ToString(), Td, all));

        Assert.Equal(consents, c.Error != "invalid_target");
    }
}
