using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.Jwt;

namespace Sigil.Tests.Credentials.Jwt;

/// <summary>spec.jwt with defaults applied, and a message that says what to change for every input Sigil cannot issue.</summary>
public sealed class DesiredJwtTests
{
    private static readonly ServiceIdentity Payments = new() { Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" } };

    private static JwtSpec Spec(string? ttl = null, string? secretName = null, params (string Name, string Audience)[] audiences) => new()
    {
        Ttl = ttl,
        SecretName = secretName,
        Audiences = [.. audiences.Select(a => new JwtAudienceSpec { Name = a.Name, Audience = a.Audience })],
    };

    // (because, the spec, a part of the expected InvalidSpec message, or null when it is valid)
    private static readonly Dictionary<string, (JwtSpec Spec, string? Invalid)> Table = new()
    {
        ["a spec with no ttl is valid"] = (Spec(null, null, ("orders", "orders")), null),
        ["ttl at the lower bound of 10m is valid"] = (Spec("10m", null, ("orders", "orders")), null),
        ["ttl at the upper bound of 24h is valid"] = (Spec("24h", null, ("orders", "orders")), null),
        ["ttl below 10m is out of range"] = (Spec("9m59s", null, ("orders", "orders")), "spec.jwt.ttl 9m59s is out of range: use between 10m and 24h"),
        ["ttl above 24h is out of range"] = (Spec("24h1s", null, ("orders", "orders")), "spec.jwt.ttl 24h1s is out of range: use between 10m and 24h"),
        ["a ttl that is not a duration says how to write one"] = (Spec("1 hour", null, ("orders", "orders")), "spec.jwt.ttl \"1 hour\" is not a duration: write it like 1h or 30m"),
        ["a secretName that is not a Secret name is invalid"] = (Spec(null, "Tokens!", ("orders", "orders")), "spec.jwt.secretName \"Tokens!\" is not a valid Secret name"),
        ["two audiences with one name are invalid"] = (Spec(null, null, ("orders", "orders"), ("orders", "https://vault.example.com")),
            "spec.jwt.audiences has more than one audience named \"orders\": names must be unique"),
        ["an audience name with a slash cannot name a Secret key"] = (Spec(null, null, ("a/b", "orders")), "spec.jwt.audiences name \"a/b\" cannot name a Secret key"),
        ["an empty audience name cannot name a Secret key"] = (Spec(null, null, ("", "orders")), "spec.jwt.audiences name \"\" cannot name a Secret key"),
        ["an audience name starting with two dots cannot name a Secret key"] = (Spec(null, null, ("..data", "orders")), "spec.jwt.audiences name \"..data\" cannot name a Secret key"),
        ["an audience name of one dot would make the Secret key ..jwt, which the API refuses"] = (Spec(null, null, (".", "orders")), "spec.jwt.audiences name \".\" cannot name a Secret key"),
        ["an audience name of letters, digits, dots, dashes and underscores is valid"] = (Spec(null, null, ("Vault_prod-1.eu", "https://vault.example.com")), null),
        ["a ServiceIdentity name is an audience"] = (Spec(null, null, ("orders", "orders")), null),
        ["a SPIFFE ID is an audience"] = (Spec(null, null, ("orders", "spiffe://cluster.local/ns/shop/sa/orders")), null),
        ["an https URL is an audience"] = (Spec(null, null, ("vault", "https://vault.example.com:8200/v1/auth/jwt")), null),
        ["an http URL is not an audience"] = (Spec(null, null, ("vault", "http://vault.example.com")),
            "spec.jwt.audiences[vault].audience \"http://vault.example.com\" is neither a ServiceIdentity name, a spiffe:// ID nor an https:// URL"),
        ["a name with upper-case letters is not a ServiceIdentity name"] = (Spec(null, null, ("orders", "Orders")), "is neither a ServiceIdentity name"),
        ["an empty audience is nothing"] = (Spec(null, null, ("orders", "")), "is neither a ServiceIdentity name"),
        ["an https URL with no host is invalid"] = (Spec(null, null, ("vault", "https://")), "\"https://\" is not a valid https URL"),
        // Attacker's side: spellings a verifier might normalise to a receiver's own ID must not pass as "an ID no identity has".
        ["a SPIFFE ID with an upper-case trust domain is invalid"] = (Spec(null, null, ("orders", "spiffe://CLUSTER.local/ns/shop/sa/orders")), "is not a valid SPIFFE ID"),
        ["a SPIFFE ID with a trailing slash is invalid"] = (Spec(null, null, ("orders", "spiffe://cluster.local/ns/shop/sa/orders/")), "is not a valid SPIFFE ID"),
        ["a SPIFFE ID with an empty segment is invalid"] = (Spec(null, null, ("orders", "spiffe://cluster.local/ns//shop/sa/orders")), "is not a valid SPIFFE ID"),
        ["a SPIFFE ID with a dot-dot segment is invalid"] = (Spec(null, null, ("orders", "spiffe://cluster.local/ns/evil/../shop/sa/orders")), "is not a valid SPIFFE ID"),
        ["a SPIFFE ID with a query is invalid"] = (Spec(null, null, ("orders", "spiffe://cluster.local/ns/shop/sa/orders?x=1")), "is not a valid SPIFFE ID"),
        ["a SPIFFE ID with no path is invalid"] = (Spec(null, null, ("orders", "spiffe://cluster.local")), "is not a valid SPIFFE ID"),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_spec_is_read_or_rejected_with_a_message_saying_what_to_change(string because)
    {
        var (spec, expected) = Table[because];

        var (jwt, invalid) = DesiredJwt.FromSpec(Payments, spec);

        if (expected is null)
        {
            Assert.True(invalid is null, $"{because}: {invalid}");
            Assert.NotNull(jwt);
        }
        else
        {
            Assert.Null(jwt);
            Assert.True(invalid?.Contains(expected, StringComparison.Ordinal) == true, $"{because}: got {invalid ?? "valid"}");
        }
    }

    [Theory]
    [InlineData("20m", "10m", true)]
    [InlineData("19m", "10m", false)]
    [InlineData("10m", "0s", true)]
    [InlineData("1h", "30m", true)]
    [InlineData("1h", "31m", false)]
    public void A_ttl_under_twice_the_bundle_propagation_is_refused_since_pods_could_hold_an_expired_token(string ttl, string propagation, bool valid)
    {
        Assert.True(Sigil.Credentials.Durations.TryParse(propagation, out var wait));

        var (jwt, invalid) = DesiredJwt.FromSpec(Payments, Spec(ttl, null, ("orders", "orders")), wait);

        Assert.Equal(valid, jwt is not null);
        if (!valid)
        {
            Assert.Contains("is under twice --bundle-propagation", invalid, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Defaults_are_the_Secret_name_dash_jwt_and_a_ttl_of_one_hour()
    {
        var (jwt, _) = DesiredJwt.FromSpec(Payments, Spec(null, null, ("orders", "orders"), ("vault", "https://vault.example.com")));

        Assert.Equal("payments-jwt", jwt!.SecretName);
        Assert.Equal(TimeSpan.FromHours(1), jwt.Ttl);
        Assert.Equal(["orders.jwt", "vault.jwt"], jwt.Audiences.Select(a => a.DataKey));
    }

    [Fact]
    public void A_given_Secret_name_and_ttl_are_kept()
    {
        var (jwt, _) = DesiredJwt.FromSpec(Payments, Spec("90m", "tokens", ("orders", "orders")));

        Assert.Equal("tokens", jwt!.SecretName);
        Assert.Equal(TimeSpan.FromMinutes(90), jwt.Ttl);
    }
}
