using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Credentials.Jwt;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Credentials.Jwt;

/// <summary>What a JWT-SVID and its Secret look like, checked by verifiers Sigil did not write (jose, Microsoft.IdentityModel).</summary>
public sealed class JwtRenderingTests
{
    private const string Sub = "spiffe://cluster.local/ns/shop/sa/payments";
    private const string Iss = "https://sigil.sigil.svc:8443";
    private const string Aud = "spiffe://cluster.local/ns/shop/sa/orders";

    private static readonly ServiceIdentity Payments = new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop", Uid = "uid-1" },
        Spec = new ServiceIdentitySpec { Jwt = new JwtSpec { Audiences = [new JwtAudienceSpec { Name = "orders", Audience = "orders" }] } },
    };

    private static DesiredJwt Desired => DesiredJwt.FromSpec(Payments, Payments.Spec.Jwt!).Jwt!;

    // One instant per test (xUnit makes an instance per test): verifiers check exp against the real clock.
    private readonly DateTimeOffset _now = Timestamps.ToSecond(DateTimeOffset.UtcNow);

    public static TheoryData<string> Algorithms => [JwtSigningKey.ES256, JwtSigningKey.RS256];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Jose_verifies_a_JWT_SVID_by_kid_from_jwks_json_and_finds_exactly_the_SPIFFE_claims(string algorithm)
    {
        using var other = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var key = JwtSigningKey.Generate(algorithm);
        var token = JwtRendering.Token(key, Sub, Aud, Iss, _now, _now + TimeSpan.FromHours(1));
        // The signing key is not the first in the set: the verifier must find it by kid.
        var jwks = BundleDocuments.Jwks([other.PublicJwk(), key.PublicJwk()]);

        var verified = Assert.Single(await JwtConsumers.JoseAsync(jwks, Iss, (token, Aud)));

        Assert.True(verified.Ok, verified.Error);
        Assert.Equal(["alg", "kid", "typ"], verified.HeaderMembers);
        Assert.Equal((key.KeyId, algorithm, "JWT"), (verified.Kid, verified.Alg, verified.Typ));
        Assert.Equal(["aud", "exp", "iat", "iss", "sub"], verified.Claims);
        Assert.Equal((Sub, Aud), (verified.Sub, verified.Aud));
        Assert.Equal((_now + TimeSpan.FromHours(1)).ToUnixTimeSeconds(), verified.Exp);
        Assert.Equal(_now.ToUnixTimeSeconds(), verified.Iat);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Microsoft_IdentityModel_validates_a_JWT_SVID_against_jwks_json(string algorithm)
    {
        using var key = JwtSigningKey.Generate(algorithm);
        var token = JwtRendering.Token(key, Sub, Aud, Iss, _now, _now + TimeSpan.FromHours(1));

        var verified = await JwtConsumers.IdentityModelAsync(BundleDocuments.Jwks([key.PublicJwk()]), Iss, token, Aud);

        Assert.True(verified.Ok, verified.Error);
        Assert.Equal((key.KeyId, algorithm, "JWT"), (verified.Kid, verified.Alg, verified.Typ));
        Assert.Equal(["aud", "exp", "iat", "iss", "sub"], verified.Claims);
        Assert.Equal((Sub, Aud), (verified.Sub, verified.Aud));
    }

    [Fact]
    public async Task Both_verifiers_reject_a_token_for_another_audience_an_unpublished_key_an_expired_token_and_a_forged_one()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var unpublished = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var jwks = BundleDocuments.Jwks([key.PublicJwk()]);
        var good = JwtRendering.Token(key, Sub, Aud, Iss, _now, _now + TimeSpan.FromHours(1));
        var byUnpublished = JwtRendering.Token(unpublished, Sub, Aud, Iss, _now, _now + TimeSpan.FromHours(1));
        var expired = JwtRendering.Token(key, Sub, Aud, Iss, _now - TimeSpan.FromHours(2), _now - TimeSpan.FromHours(1));
        var parts = good.Split('.');
        var forged = parts[0] + "." + Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"sub":"spiffe://cluster.local/ns/shop/sa/admin","aud":"{{Aud}}","iss":"{{Iss}}","iat":1,"exp":9999999999}"""))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];

        var jose = await JwtConsumers.JoseAsync(jwks, Iss, (good, "spiffe://cluster.local/ns/shop/sa/billing"), (byUnpublished, Aud), (expired, Aud), (forged, Aud), (good, Aud));

        Assert.Equal([false, false, false, false, true], jose.Select(v => v.Ok));
        Assert.Equal(["ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWKS_NO_MATCHING_KEY", "ERR_JWT_EXPIRED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"], jose.Take(4).Select(v => v.Error));
        foreach (var (token, aud) in new[] { (good, "spiffe://cluster.local/ns/shop/sa/billing"), (byUnpublished, Aud), (expired, Aud), (forged, Aud) })
        {
            Assert.False((await JwtConsumers.IdentityModelAsync(jwks, Iss, token, aud)).Ok);
        }
        Assert.True((await JwtConsumers.IdentityModelAsync(jwks, Iss, good, Aud)).Ok);
    }

    [Fact]
    public void The_Secret_is_Opaque_one_key_per_audience_labelled_owned_and_annotated_with_the_SPIFFE_ID_and_rotate_value()
    {
        var tokens = new Dictionary<string, byte[]> { ["orders.jwt"] = "a.b.c"u8.ToArray() };

        var secret = JwtRendering.Secret(Payments, Desired, new SpiffeId("cluster.local", "shop", "payments"), tokens, "r1");

        Assert.Equal(("payments-jwt", "shop", "Opaque"), (secret.Metadata.Name, secret.Metadata.NamespaceProperty, secret.Type));
        Assert.Equal(["orders.jwt"], secret.Data.Keys);
        Assert.Equal("sigil", secret.Metadata.Labels[Labels.ManagedBy]);
        Assert.Equal("payments", secret.Metadata.Labels[Labels.Identity]);
        Assert.Equal(Sub, secret.Metadata.Annotations[Labels.SpiffeIdAnnotation]);
        Assert.Equal("r1", secret.Metadata.Annotations[Labels.RotationRequestAnnotation]);
        var owner = Assert.Single(secret.Metadata.OwnerReferences);
        Assert.Equal(("uid-1", true), (owner.Uid, owner.Controller));
        Assert.True(Sigil.Credentials.ManagedSecrets.IsOwnedBy(secret, Payments));
    }

    [Fact]
    public void The_gather_step_reads_back_what_a_token_says_and_calls_anything_else_unreadable()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var token = Encoding.ASCII.GetBytes(JwtRendering.Token(key, Sub, Aud, Iss, at, at.AddHours(1)));

        Assert.Equal(new StoredToken(key.KeyId, Sub, Aud, Iss, at, at.AddHours(1)), JwtSecretReader.Parse(token));
        Assert.Null(JwtSecretReader.Parse("not a token"u8.ToArray()));
        Assert.Null(JwtSecretReader.Parse("a.b"u8.ToArray()));
        Assert.Null(JwtSecretReader.Parse("e30.e30.c2ln"u8.ToArray()));
        Assert.Null(JwtSecretReader.Parse([]));
        // Written by whoever may edit the Secret: JSON that is not an object is unreadable, never an exception that stops every pass.
        Assert.Null(JwtSecretReader.Parse("W10.W10.c2ln"u8.ToArray()));
        Assert.Null(JwtSecretReader.Parse("e30.MQ.c2ln"u8.ToArray()));
        Assert.Null(JwtSecretReader.Parse("ImEi.e30.c2ln"u8.ToArray()));
    }

    [Fact]
    public void Status_lists_the_held_audiences_in_spec_order_with_their_expiry_and_the_earliest_renewal()
    {
        var at = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var desired = Desired with { Audiences = [new("orders", "orders"), new("billing", "billing"), new("vault", "https://vault.example.com")] };
        var tokens = new Dictionary<string, StoredToken>
        {
            ["vault.jwt"] = new("k2", Sub, "https://vault.example.com", Iss, at.AddMinutes(10), at.AddMinutes(70)),
            ["orders.jwt"] = new("k1", Sub, Aud, Iss, at, at.AddHours(1)),
        };

        var status = JwtRendering.Status(desired, tokens, 0);

        Assert.Equal("payments-jwt", status.SecretName);
        Assert.Equal("k2", status.KeyId);
        Assert.Equal(["orders", "vault"], status.Audiences!.Select(a => a.Name));
        Assert.Equal([at.AddHours(1), at.AddMinutes(70)], status.Audiences!.Select(a => a.ExpiresAt!.Value));
        Assert.Equal(at.AddMinutes(30), status.NextRotationTime);
        Assert.Contains("JWT-SVIDs for orders, vault", JwtRendering.ReadyMessage(status), StringComparison.Ordinal);
    }
}
