using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
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

        // The active key's end of signing: its activation plus --jwt-key-ttl; nothing prepared or retiring yet.
        var activatedAt = JwtKeyStateCodec.Read(stored, DateTimeOffset.UtcNow).Keys.Single().ActivatedAt!.Value;
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");
        Assert.Contains($"sigil_jwt_key_expiration_timestamp_seconds{{state=\"active\"}} {(activatedAt + op.Options.JwtKeyTtl).ToUnixTimeSeconds()}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("sigil_jwt_key_expiration_timestamp_seconds{state=\"prepared\"}", metrics, StringComparison.Ordinal);

        await op.StopAsync();
        await op.StartAsync();
        Assert.Equal(signer.KeyId, op.Host!.Trust!.JwtKeys.Signer?.KeyId);
        Assert.Equal([signer.KeyId], op.Host.Trust.JwtKeys.Published.Select(k => k.KeyId));
    }

    public static TheoryData<string> Steps => [JwtKeySteps.Prepare, JwtKeySteps.MarkPublished, JwtKeySteps.Activate, JwtKeySteps.Drop];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task An_operator_stopped_after_any_JWT_key_step_finishes_the_rotation_once_after_restart(string step)
    {
        var ttl = TimeSpan.FromHours(1);
        var propagation = TimeSpan.FromMinutes(5);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { JwtKeyTtl = ttl, BundlePropagation = propagation }, time: time);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);
        var first = op.Host!.Trust!.JwtKeys.Signer!.KeyId;
        await op.StopAsync();

        // The "crash": the lifecycle hangs right after the step is stored, until the operator is stopped.
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        op.CaStepHook = async (at, ct) =>
        {
            if (at == "Jwt" + step && crashed.TrySetResult())
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        await op.StartAsync();
        var start = time.GetUtcNow();
        var inJwksSince = new Dictionary<string, DateTimeOffset>();
        var signsSince = new Dictionary<string, DateTimeOffset>();
        async Task TickAsync(TimeSpan by)
        {
            time.Advance(by);
            await SimulatedTime.SettleAsync(op.Host!, local);
            foreach (var kid in Kids(await JwksAsync(cluster.Client, ns)))
            {
                inJwksSince.TryAdd(kid, time.GetUtcNow());
            }
            signsSince.TryAdd(op.Host!.Trust!.JwtKeys.Signer!.KeyId, time.GetUtcNow());
        }
        while (!crashed.Task.IsCompleted)
        {
            Assert.True(time.GetUtcNow() < start + TimeSpan.FromHours(27), $"the {step} step never came");
            await TickAsync(time.GetUtcNow() < start + 2 * ttl ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(15));
        }
        await op.StopAsync();
        op.CaStepHook = null;
        var midway = Records(await op.SecretAsync(op.Options.Namespace, AuthorityManager.JwtKeysSecretName));
        var successor = (midway.FirstOrDefault(k => k.Role == JwtKeyRole.Prepared) ?? midway.Single(k => k.Role == JwtKeyRole.Active)).KeyId;
        Assert.NotEqual(first, successor);

        await op.StartAsync();
        // Long enough for any wait that remains (propagation), not for the successor's own successor (50 minutes on).
        for (var n = 0; n < 15 && op.Host!.Trust!.JwtKeys.Signer!.KeyId != successor; n++)
        {
            await TickAsync(TimeSpan.FromMinutes(1));
        }

        var final = Records(await op.SecretAsync(op.Options.Namespace, AuthorityManager.JwtKeysSecretName));
        Assert.Equal(successor, op.Host!.Trust!.JwtKeys.Signer?.KeyId);
        Assert.Equal(successor, final.Single(k => k.Role == JwtKeyRole.Active).KeyId);
        // No second key was made for the same rotation, and the successor waited out propagation in the bundle.
        Assert.Empty(final.Select(k => k.KeyId).Except(midway.Select(k => k.KeyId)));
        Assert.DoesNotContain(final, k => k.Role == JwtKeyRole.Prepared);
        Assert.True(signsSince[successor] - inJwksSince[successor] >= propagation,
            $"the successor signs from +{signsSince[successor] - start}, in the bundle from +{inJwksSince[successor] - start}");
        if (step == JwtKeySteps.Drop)
        {
            Assert.DoesNotContain(first, final.Select(k => k.KeyId));
            await Eventually.TrueAsync(async () => !Kids(await JwksAsync(cluster.Client, ns)).Contains(first), TimeSpan.FromSeconds(15), "the dropped key stayed in jwks.json");
        }
        else
        {
            Assert.Equal(JwtKeyRole.Retiring, final.Single(k => k.KeyId == first).Role);
            Assert.Contains(first, Kids(await JwksAsync(cluster.Client, ns)));
        }
    }

    [Fact]
    public async Task A_changed_jwt_key_algorithm_rotates_to_a_key_of_that_algorithm_after_propagation_and_keeps_the_old_one_published()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.FromSeconds(2) });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);
        var old = op.Host!.Trust!.JwtKeys.Signer!;
        var token = Token(old, TimeSpan.FromHours(24), DateTimeOffset.UtcNow);
        await op.StopAsync();

        await using var rs = await OperatorUnderTest.StartAsync(cluster, op.Options with { JwtKeyAlgorithm = JwtSigningKey.RS256 });
        // Right after the restart the old key still signs: the new one must first sit in every bundle.
        Assert.Equal(old.KeyId, rs.Host!.Trust!.JwtKeys.Signer?.KeyId);
        await Eventually.TrueAsync(() => Task.FromResult(rs.Host.Trust!.JwtKeys.Signer?.Algorithm == JwtSigningKey.RS256), TimeSpan.FromSeconds(30), "no RS256 key ever signed");

        var records = Records(await rs.SecretAsync(rs.Options.Namespace, AuthorityManager.JwtKeysSecretName));
        var active = records.Single(k => k.Role == JwtKeyRole.Active);
        Assert.True(active.ActivatedAt >= active.PublishedAt + rs.Options.BundlePropagation, $"activated {active.ActivatedAt:O}, published {active.PublishedAt:O}");
        Assert.Equal(JwtKeyRole.Retiring, records.Single(k => k.KeyId == old.KeyId).Role);
        var jwks = await JwksAsync(cluster.Client, ns);
        Assert.True((await ValidateAsync(token, jwks, DateTimeOffset.UtcNow)).IsValid, "a token of the ES256 key no longer verifies");
        Assert.True((await ValidateAsync(Token(rs.Host.Trust!.JwtKeys.Signer!, TimeSpan.FromHours(1), DateTimeOffset.UtcNow), jwks, DateTimeOffset.UtcNow)).IsValid,
            "a token of the RS256 key does not verify");
    }

    [Fact]
    public async Task A_garbled_key_state_keeps_every_stored_key_published_and_moves_to_a_new_key_through_the_usual_wait()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.FromSeconds(2) });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);
        var old = op.Host!.Trust!.JwtKeys.Signer!;
        var token = Token(old, TimeSpan.FromHours(24), DateTimeOffset.UtcNow);

        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("{\"metadata\":{\"annotations\":{\"" + JwtKeyStateCodec.StateAnnotation + "\":\"{garbled\"}}}",
            V1Patch.PatchType.MergePatch), AuthorityManager.JwtKeysSecretName, op.Options.Namespace);

        await Eventually.TrueAsync(() => Task.FromResult(op.Host.Trust!.JwtKeys.Signer is { } s && s.KeyId != old.KeyId), TimeSpan.FromSeconds(30), "no new key signs");
        var records = Records(await op.SecretAsync(op.Options.Namespace, AuthorityManager.JwtKeysSecretName));
        Assert.Equal(2, records.Count);
        Assert.Equal(JwtKeyRole.Retiring, records.Single(k => k.KeyId == old.KeyId).Role);
        var active = records.Single(k => k.Role == JwtKeyRole.Active);
        Assert.True(active.ActivatedAt >= active.PublishedAt + op.Options.BundlePropagation, $"activated {active.ActivatedAt:O}, published {active.PublishedAt:O}");
        Assert.True((await ValidateAsync(token, await JwksAsync(cluster.Client, ns), DateTimeOffset.UtcNow)).IsValid, "a token of the key from before no longer verifies");
        Assert.Contains(op.Logs.Lines, l => l.Contains("has no readable", StringComparison.Ordinal));
        Assert.DoesNotContain(op.Logs.Lines, l => l.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replica_that_does_not_lead_follows_the_leaders_JWT_key_rotation_without_writing()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var options = OperatorUnderTest.Replicas with
        {
            Namespace = $"sigil-{Guid.NewGuid().ToString("N")[..6]}",
            // A key signs 12 seconds; its successor is prepared 2 seconds ahead.
            JwtKeyTtl = TimeSpan.FromSeconds(12),
            BundlePropagation = TimeSpan.FromSeconds(2),
        };
        await using var first = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-a" });
        await using var second = await OperatorUnderTest.StartAsync(cluster, options with { Identity = "replica-b" });
        await Eventually.TrueAsync(() => Task.FromResult(first.Host!.IsLeader || second.Host!.IsLeader), TimeSpan.FromSeconds(20), "no replica leads");
        var (leader, follower) = first.Host!.IsLeader ? (first, second) : (second, first);
        var initial = leader.Host!.Trust!.JwtKeys.Signer!.KeyId;
        Assert.Equal(initial, follower.Host!.Trust!.JwtKeys.Signer?.KeyId);

        // Both a prepared key (published, not signing) and an activation reach the follower.
        var sawPrepared = false;
        await Eventually.TrueAsync(() =>
        {
            var (l, f) = (leader.Host.Trust!.JwtKeys, follower.Host.Trust!.JwtKeys);
            var same = l.Signer?.KeyId == f.Signer?.KeyId && l.Published.Select(k => k.KeyId).SequenceEqual(f.Published.Select(k => k.KeyId));
            sawPrepared |= same && f.Published.Count > 1 && f.Published[^1].KeyId != f.Signer?.KeyId;
            return Task.FromResult(same && sawPrepared && f.Signer?.KeyId != initial && f.Published.Any(k => k.KeyId == initial));
        }, TimeSpan.FromSeconds(40), "the follower's JWT keys never followed the leader's rotation");

        Assert.False(follower.Host.IsLeader);
        Assert.DoesNotContain(follower.Logs.Lines, l => l.Contains("JWT key Prepare", StringComparison.Ordinal) || l.Contains("JWT key Activate", StringComparison.Ordinal));
        Assert.Contains(leader.Logs.Lines, l => l.Contains("JWT key Activate", StringComparison.Ordinal));
    }

    private static IReadOnlyList<JwtKeyRecord> Records(V1Secret? secret) => JwtKeyStateCodec.Read(secret, DateTimeOffset.UtcNow).Keys;

    private static HashSet<string> Kids(string jwks) => [.. new JsonWebKeySet(jwks).Keys.Select(k => k.Kid)];

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
    internal static Task<TokenValidationResult> ValidateAsync(string token, string jwks, DateTimeOffset now, IDictionary<string, IList<SecurityKey>>? parsed = null) =>
        new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = parsed is null ? new JsonWebKeySet(jwks).GetSigningKeys()
                : parsed.TryGetValue(jwks, out var keys) ? keys : parsed[jwks] = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidAudience = "orders",
            ValidIssuer = "https://sigil.test",
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && now < e,
        });
}
