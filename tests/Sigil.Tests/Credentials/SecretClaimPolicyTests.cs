using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;

namespace Sigil.Tests.Credentials;

/// <summary>One Secret, one credential: who loses when two name the same Secret. Written from the attacker's side.</summary>
public sealed class SecretClaimPolicyTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);

    private static ServiceIdentity Identity(string name, string? x509Secret = null, bool x509 = true, string[]? keySecrets = null,
        DateTime? created = null, string ns = "shop", string? jwtSecret = null, string? oauth2Secret = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, CreationTimestamp = created ?? T0 },
        Spec = new ServiceIdentitySpec
        {
            X509 = x509 ? new X509Spec { SecretName = x509Secret } : null,
            ApiKeys = keySecrets?.Select((s, i) => new ApiKeySpec
            {
                Name = $"k{i}", SecretName = s == "" ? null : s, Audience = "orders", Rotation = new RotationSpec { Every = "720h" },
            }).ToList(),
            // "" asks for JWT-SVIDs in the default Secret, <name>-jwt.
            Jwt = jwtSecret is null ? null : new JwtSpec { SecretName = jwtSecret == "" ? null : jwtSecret, Audiences = [new JwtAudienceSpec { Name = "orders", Audience = "orders" }] },
            // "" asks for a client secret in the default Secret, <name>-oauth2.
            OAuth2 = oauth2Secret is null ? null : new OAuth2Spec
            {
                ClientSecret = new OAuth2ClientSecretSpec { SecretName = oauth2Secret == "" ? null : oauth2Secret, Rotation = new RotationSpec { Every = "720h" } },
            },
        },
    };

    // (because, the identity deciding, the other identities in the cache, a part of the expected message or null for no conflict)
    private static readonly Dictionary<string, (ServiceIdentity Self, ServiceIdentity[] Others, string? Expected)> Table = new()
    {
        ["an identity whose Secrets nobody else names has no conflict"] =
            (Identity("payments"), [Identity("orders")], null),
        ["x509.secretName equal to an API key's secretName conflicts within one identity"] =
            (Identity("payments", x509Secret: "shared", keySecrets: ["shared"]), [], "spec.apiKeys[k0].secretName \"shared\" is also spec.x509.secretName"),
        ["an API key named like the default SVID Secret conflicts"] =
            (Identity("payments", keySecrets: ["payments-svid"]), [], "spec.apiKeys[k0].secretName \"payments-svid\" is also spec.x509.secretName"),
        ["two API keys with the same secretName conflict"] =
            (Identity("payments", x509: false, keySecrets: ["k", "k"]), [], "spec.apiKeys[k1].secretName \"k\" is also spec.apiKeys[k0].secretName"),
        ["x509.secretName equal to the identity's own verifier Secret conflicts"] =
            (Identity("payments", x509Secret: "payments-verifiers"), [], "spec.x509.secretName \"payments-verifiers\" is the name of this identity's verifier Secret"),
        ["an API key secretName equal to the identity's own verifier Secret conflicts"] =
            (Identity("payments", x509: false, keySecrets: ["payments-verifiers"]), [], "spec.apiKeys[k0].secretName \"payments-verifiers\" is the name of this identity's verifier Secret"),
        ["a newer identity naming an older one's SVID Secret loses, and hears whose it is"] =
            (Identity("thief", x509Secret: "payments-svid", created: T0.AddSeconds(5)), [Identity("payments")],
                "spec.x509.secretName \"payments-svid\" is already spec.x509.secretName of ServiceIdentity payments, which is older"),
        ["a newer identity naming an older one's API key Secret loses"] =
            (Identity("thief", x509: false, keySecrets: ["payments-orders-key"], created: T0.AddSeconds(5)), [Identity("payments", keySecrets: ["payments-orders-key"])],
                "already spec.apiKeys[k0].secretName of ServiceIdentity payments"),
        ["a newer identity naming an older one's default API key Secret loses"] =
            (Identity("thief", x509Secret: "payments-k0-apikey", created: T0.AddSeconds(5)), [Identity("payments", keySecrets: [""])],
                "already spec.apiKeys[k0].secretName of ServiceIdentity payments"),
        ["a newer identity naming an older receiver's verifier Secret loses"] =
            (Identity("thief", x509Secret: "orders-verifiers", created: T0.AddSeconds(5)), [Identity("orders", x509: false)],
                "already the verifier Secret of ServiceIdentity orders"),
        ["the older identity keeps its Secret even when it is the one being decided"] =
            (Identity("payments"), [Identity("thief", x509Secret: "payments-svid", created: T0.AddSeconds(5))], null),
        ["the older identity wins even when its name sorts later"] =
            (Identity("aaa", x509Secret: "zzz-svid", created: T0.AddSeconds(1)), [Identity("zzz")], "of ServiceIdentity zzz, which is older"),
        ["created in the same second, the name decides"] =
            (Identity("bbb", x509Secret: "shared"), [Identity("aaa", x509Secret: "shared")], "of ServiceIdentity aaa"),
        ["created in the same second, the earlier name keeps its Secret"] =
            (Identity("aaa", x509Secret: "shared"), [Identity("bbb", x509Secret: "shared")], null),
        ["the same Secret name in another namespace is another Secret"] =
            (Identity("thief", x509Secret: "payments-svid", created: T0.AddSeconds(5), ns: "evil"), [Identity("payments")], null),
        ["the identity itself in the cache is not a rival"] =
            (Identity("payments"), [Identity("payments")], null),
        ["of two older rivals, the oldest is named"] =
            (Identity("c", x509Secret: "shared", created: T0.AddSeconds(9)),
                [Identity("b", x509Secret: "shared", created: T0.AddSeconds(5)), Identity("a", x509: false, keySecrets: ["shared"], created: T0.AddSeconds(1))],
                "of ServiceIdentity a, which is older"),
        ["jwt.secretName equal to the identity's own SVID Secret conflicts"] =
            (Identity("payments", jwtSecret: "payments-svid"), [], "spec.jwt.secretName \"payments-svid\" is also spec.x509.secretName"),
        ["jwt.secretName equal to the identity's own verifier Secret conflicts"] =
            (Identity("payments", x509: false, jwtSecret: "payments-verifiers"), [], "spec.jwt.secretName \"payments-verifiers\" is the name of this identity's verifier Secret"),
        ["a newer identity naming an older one's default JWT Secret as its SVID Secret loses"] =
            (Identity("thief", x509Secret: "payments-jwt", created: T0.AddSeconds(5)), [Identity("payments", x509: false, jwtSecret: "")],
                "spec.x509.secretName \"payments-jwt\" is already spec.jwt.secretName of ServiceIdentity payments, which is older"),
        ["oauth2.clientSecret.secretName equal to the identity's own SVID Secret conflicts"] =
            (Identity("payments", oauth2Secret: "payments-svid"), [], "spec.oauth2.clientSecret.secretName \"payments-svid\" is also spec.x509.secretName"),
        ["oauth2.clientSecret.secretName equal to an API key's Secret conflicts"] =
            (Identity("payments", x509: false, keySecrets: ["shared"], oauth2Secret: "shared"), [], "spec.oauth2.clientSecret.secretName \"shared\" is also spec.apiKeys[k0].secretName"),
        ["oauth2.clientSecret.secretName equal to the identity's own verifier Secret conflicts"] =
            (Identity("payments", x509: false, oauth2Secret: "payments-verifiers"), [], "spec.oauth2.clientSecret.secretName \"payments-verifiers\" is the name of this identity's verifier Secret"),
        ["a newer identity writing its client secret into an older one's default client-secret Secret loses"] =
            (Identity("thief", x509: false, oauth2Secret: "payments-oauth2", created: T0.AddSeconds(5)), [Identity("payments", x509: false, oauth2Secret: "")],
                "spec.oauth2.clientSecret.secretName \"payments-oauth2\" is already spec.oauth2.clientSecret.secretName of ServiceIdentity payments, which is older"),
        ["a newer identity naming an older one's client-secret Secret as its SVID Secret loses"] =
            (Identity("thief", x509Secret: "payments-oauth2", created: T0.AddSeconds(5)), [Identity("payments", x509: false, oauth2Secret: "")],
                "spec.x509.secretName \"payments-oauth2\" is already spec.oauth2.clientSecret.secretName of ServiceIdentity payments"),
        ["a newer identity taking an older one's SVID Secret for its client secret loses"] =
            (Identity("thief", x509: false, oauth2Secret: "payments-svid", created: T0.AddSeconds(5)), [Identity("payments")],
                "spec.oauth2.clientSecret.secretName \"payments-svid\" is already spec.x509.secretName of ServiceIdentity payments"),
        ["an oauth2 block without clientSecret claims no Secret"] =
            (new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = "thief", NamespaceProperty = "shop", CreationTimestamp = T0.AddSeconds(5) },
                Spec = new ServiceIdentitySpec { OAuth2 = new OAuth2Spec() },
            }, [Identity("payments", x509: false, oauth2Secret: "thief-oauth2")], null),
        ["the same client-secret Secret name in another namespace is another Secret"] =
            (Identity("thief", x509: false, oauth2Secret: "payments-oauth2", created: T0.AddSeconds(5), ns: "evil"), [Identity("payments", x509: false, oauth2Secret: "")], null),
        ["a newer identity writing its JWT-SVIDs into an older one's JWT Secret loses"] =
            (Identity("thief", x509: false, jwtSecret: "payments-jwt", created: T0.AddSeconds(5)), [Identity("payments", x509: false, jwtSecret: "")],
                "spec.jwt.secretName \"payments-jwt\" is already spec.jwt.secretName of ServiceIdentity payments"),
        ["a newer identity writing its JWT-SVIDs into an older one's SVID Secret loses"] =
            (Identity("thief", x509: false, jwtSecret: "payments-svid", created: T0.AddSeconds(5)), [Identity("payments")],
                "spec.jwt.secretName \"payments-svid\" is already spec.x509.secretName of ServiceIdentity payments"),
        ["the older identity keeps its JWT Secret against a newer one naming it"] =
            (Identity("payments", x509: false, jwtSecret: ""), [Identity("thief", x509: false, jwtSecret: "payments-jwt", created: T0.AddSeconds(5))], null),
        ["the same JWT Secret name in another namespace is another Secret"] =
            (Identity("thief", x509: false, jwtSecret: "payments-jwt", created: T0.AddSeconds(5), ns: "evil"), [Identity("payments", x509: false, jwtSecret: "")], null),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Two_credentials_never_write_one_Secret(string because)
    {
        var (self, others, expected) = Table[because];

        var conflict = SecretClaimPolicy.Conflict(self, others);

        if (expected is null)
        {
            Assert.True(conflict is null, $"{because}: got {conflict}");
        }
        else
        {
            Assert.True(conflict?.Contains(expected, StringComparison.Ordinal) == true, $"{because}: got {conflict ?? "no conflict"}");
        }
    }

    [Fact]
    public void Every_credential_claims_its_Secret_and_the_verifier_name_is_always_reserved()
    {
        var claims = SecretClaimPolicy.ClaimsOf(Identity("payments", keySecrets: ["", "custom"]));

        Assert.Equal(["payments-svid", "payments-k0-apikey", "custom", "payments-verifiers"], claims.Select(c => c.SecretName));
    }

    [Fact]
    public void JWT_SVIDs_claim_their_Secret_by_default_name_or_as_given()
    {
        Assert.Contains("payments-jwt", SecretClaimPolicy.ClaimsOf(Identity("payments", jwtSecret: "")).Select(c => c.SecretName));
        Assert.Contains("tokens", SecretClaimPolicy.ClaimsOf(Identity("payments", jwtSecret: "tokens")).Select(c => c.SecretName));
        Assert.DoesNotContain("payments-jwt", SecretClaimPolicy.ClaimsOf(Identity("payments")).Select(c => c.SecretName));
    }

    [Fact]
    public void A_client_secret_claims_its_Secret_by_default_name_or_as_given_and_the_verifier_claim_stays_last()
    {
        Assert.Equal(["payments-svid", "payments-jwt", "payments-oauth2", "payments-verifiers"],
            SecretClaimPolicy.ClaimsOf(Identity("payments", jwtSecret: "", oauth2Secret: "")).Select(c => c.SecretName));
        Assert.Contains("client", SecretClaimPolicy.ClaimsOf(Identity("payments", oauth2Secret: "client")).Select(c => c.SecretName));
        Assert.DoesNotContain("payments-oauth2", SecretClaimPolicy.ClaimsOf(Identity("payments")).Select(c => c.SecretName));
    }
}
