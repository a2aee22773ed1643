using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>JWT signing keys as an operator in a cluster keeps them: created once, published, reloaded, rotated across crashes.</summary>
public sealed class JwtKeyRotationTests
{
    [Fact]
    public async Task The_first_JWT_key_signs_at_once_is_in_every_bundle_and_is_the_same_key_after_a_restart()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var namespaces = new[] { await cluster.CreateNamespaceAsync(), await cluster.CreateNamespaceAsync() };
        foreach (var ns in namespaces)
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
            await op.WaitForAsync(ns, "api", Reasons.Issued);
        }
        var signer = op.Host!.Trust!.JwtKeys.Signer;
        Assert.NotNull(signer);
        Assert.Equal(JwtSigningKey.ES256, signer.Algorithm);
        var stored = (await op.SecretAsync(op.Options.Namespace, AuthorityManager.JwtKeysSecretName))!;
        Assert.Equal("sigil", stored.Metadata.Labels[Labels.ManagedBy]);
        Assert.Equal("Opaque", stored.Type);
        Assert.Equal([signer.KeyId + ".key"], stored.Data.Keys);
        Assert.DoesNotContain("PRIVATE", stored.Metadata.Annotations[JwtKeyStateCodec.StateAnnotation], StringComparison.Ordinal);

        var token = Token(signer, TimeSpan.FromHours(24), DateTimeOffset.UtcNow);
        foreach (var ns in namespaces)
        {
            await Eventually.TrueAsync(async () => (await ValidateAsync(token, await JwksAsync(cluster.Client, ns), DateTimeOffset.UtcNow)).IsValid,
                TimeSpan.FromSeconds(15), $"{ns}'s jwks.json never verified a token of the first key");
        }

        await op.StopAsync();
        await op.StartAsync();
        Assert.Equal(signer.KeyId, op.Host!.Trust!.JwtKeys.Signer?.KeyId);
        Assert.Equal([signer.KeyId], op.Host.Trust.JwtKeys.Published.Select(k => k.KeyId));
    }

    internal static string Token(JwtSigningKey key, TimeSpan lifetime, DateTimeOffset at) => CompactJws.Sign(key, "JWT", w =>
    {
        w.WriteString("sub", "spiffe://cluster.local/ns/test/sa/api");
        w.WriteString("aud", "orders");
        w.WriteString("iss", "https://sigil.test");
        w.WriteNumber("iat", at.ToUnixTimeSeconds());
        w.WriteNumber("exp", (at + lifetime).ToUnixTimeSeconds());
    });

    internal static async Task<string> JwksAsync(IKubernetes client, string ns) =>
        (await client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns)).Data["jwks.json"];

    /// <summary>Microsoft.IdentityModel's own check, at a given time: signature by kid, lifetime, audience, issuer.</summary>
    internal static Task<TokenValidationResult> ValidateAsync(string token, string jwks, DateTimeOffset now) =>
        new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidAudience = "orders",
            ValidIssuer = "https://sigil.test",
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && now < e,
        });
}
