using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using Sigil.Runtime;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>
/// Sigil's JWT signing keys through many rotations on a simulated clock (--jwt-key-ttl 1h, --bundle-propagation 5m), with
/// identities in several namespaces, checking what a verifier reading a namespace's jwks.json would see: every token any
/// signing key signed (24h, the longest JWT-SVID) verifies against the jwks.json each namespace holds now and the one it
/// held --bundle-propagation ago, until it expires; a key signs only after it sat in every jwks.json for propagation; a
/// retired key leaves once its tokens have expired, plus propagation, and not before; and every JWT-SVID in every
/// identity's <c>&lt;name&gt;-jwt</c> Secret verifies against every namespace's jwks.json, now and as it was propagation ago.
/// Checked with Microsoft.IdentityModel at every step, and with jose for the keys that were dropped: a JWT-SVID one of them
/// signed is accepted against the last jwks.json that held it and rejected against the first without it.
/// </summary>
public sealed class JwtKeyRotationSimulationTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(24);

    private sealed record Seen(DateTimeOffset At, IReadOnlyDictionary<string, string> Jwks);

    private sealed record Minted(string Kid, string Token, DateTimeOffset SignedAt);

    private const string Audience = "https://vault.example.com";

    [Fact]
    public async Task Every_token_of_every_signing_key_verifies_against_every_jwks_a_verifier_could_hold_until_it_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { JwtKeyTtl = Ttl, BundlePropagation = Propagation }, time: time);
        var namespaces = new[] { await cluster.CreateNamespaceAsync(), await cluster.CreateNamespaceAsync(), await cluster.CreateNamespaceAsync() };
        foreach (var ns in namespaces)
        {
            var api = OperatorUnderTest.Identity("api");
            api.Spec.Jwt = new Sigil.Api.JwtSpec { Ttl = "1h", Audiences = [new Sigil.Api.JwtAudienceSpec { Name = "vault", Audience = Audience }] };
            await op.CreateAsync(ns, api);
            await op.WaitForAsync(ns, "api", Sigil.Api.Reasons.Issued);
        }

        var start = time.GetUtcNow();
        var history = new List<Seen>();
        var firstTokens = new Dictionary<string, Minted>();
        var latestTokens = new Dictionary<string, Minted>();
        var signers = new List<string>();
        var inEveryJwksSince = new Dictionary<string, DateTimeOffset>();
        var lastSigned = new Dictionary<string, DateTimeOffset>();
        var keySets = new Dictionary<string, IList<SecurityKey>>();
        var failures = new List<string>();
        // Per signing key, a JWT-SVID it signed as found in a Secret (the first seen).
        var svids = new Dictionary<string, string>();
        var end = start + TokenLifetime + 2 * Ttl + TimeSpan.FromMinutes(45);
        while (time.GetUtcNow() < end)
        {
            // Minute by minute through the first rotations; then a quarter of an hour at a time to reach the first drops.
            time.Advance(time.GetUtcNow() < start + 3 * Ttl ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(15));
            await SimulatedTime.SettleAsync(op.Host!, local);
            var now = time.GetUtcNow();
            var at = $"+{now - start}";
            var jwks = new Dictionary<string, string>();
            foreach (var ns in namespaces)
            {
                jwks[ns] = await JwtKeyRotationTests.JwksAsync(cluster.Client, ns);
            }
            history.Add(new Seen(now, jwks));
            var earlier = history.LastOrDefault(h => h.At <= now - Propagation) ?? history[0];
            var kidsEverywhere = jwks.Values.Select(Kids).Aggregate((a, b) => [.. a.Intersect(b)]);
            foreach (var kid in kidsEverywhere.Where(k => !inEveryJwksSince.ContainsKey(k)))
            {
                inEveryJwksSince[kid] = now;
            }

            var signer = op.Host!.Trust!.JwtKeys.Signer!;
            if (!signers.Contains(signer.KeyId))
            {
                signers.Add(signer.KeyId);
                // (a) The first key signs at once; every later one only after it sat in every jwks.json for --bundle-propagation.
                if (signers.Count > 1 && !(inEveryJwksSince.TryGetValue(signer.KeyId, out var since) && now - since >= Propagation))
                {
                    failures.Add($"{signer.KeyId} signs at {at}, in every jwks.json only since {(inEveryJwksSince.TryGetValue(signer.KeyId, out var s) ? $"+{s - start}" : "never")}");
                }
            }
            lastSigned[signer.KeyId] = now;
            // One token at the first sight of each signer, and its latest: the two ends of what it signed.
            var minted = new Minted(signer.KeyId, JwtKeyRotationTests.Token(signer, TokenLifetime, now), now);
            firstTokens.TryAdd(signer.KeyId, minted);
            latestTokens[signer.KeyId] = minted;

            // (b) Every token not yet expired verifies against every namespace's jwks.json now and as it was propagation ago.
            foreach (var token in firstTokens.Values.Concat(latestTokens.Values).Distinct().Where(t => now < t.SignedAt + TokenLifetime))
            {
                foreach (var ns in namespaces)
                {
                    foreach (var (what, document) in new[] { ("now", jwks[ns]), ($"of +{earlier.At - start}", earlier.Jwks[ns]) })
                    {
                        var result = await JwtKeyRotationTests.ValidateAsync(token.Token, document, now, keySets);
                        if (!result.IsValid)
                        {
                            failures.Add($"at {at} a token of {token.Kid} signed at +{token.SignedAt - start} fails against {ns}'s jwks.json {what}: {result.Exception?.GetType().Name}");
                        }
                    }
                }
            }

            // (d) Every JWT-SVID in every Secret verifies against every namespace's jwks.json, now and as it was propagation ago.
            foreach (var owner in namespaces)
            {
                var secret = await cluster.Client.ReadSecretOrNullAsync(owner, "api-jwt");
                var svid = secret?.Data?.TryGetValue("vault.jwt", out var bytes) == true ? System.Text.Encoding.ASCII.GetString(bytes) : null;
                if (svid is null)
                {
                    failures.Add($"at {at} {owner}/api-jwt holds no vault.jwt");
                    continue;
                }
                svids.TryAdd(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(svid).Kid, svid);
                foreach (var ns in namespaces)
                {
                    foreach (var (what, document) in new[] { ("now", jwks[ns]), ($"of +{earlier.At - start}", earlier.Jwks[ns]) })
                    {
                        var result = await ValidateSvidAsync(svid, document, op.Host!.IssuerUrl!, now);
                        if (!result.IsValid)
                        {
                            failures.Add($"at {at} {owner}/api-jwt fails against {ns}'s jwks.json {what}: {result.Exception?.GetType().Name}");
                        }
                    }
                }
            }

            // (c) A key that was ever signer leaves a jwks.json only once its tokens expired, plus propagation; and then it does leave.
            foreach (var (kid, last) in lastSigned)
            {
                var leaves = last + TokenLifetime + Propagation;
                foreach (var ns in namespaces)
                {
                    var present = Kids(jwks[ns]).Contains(kid);
                    if (!present && now < leaves)
                    {
                        failures.Add($"{kid} (signed until +{last - start}) left {ns}'s jwks.json at {at}, before +{leaves - start}");
                    }
                    if (present && now > leaves + Ttl)
                    {
                        failures.Add($"{kid} (signed until +{last - start}) is still in {ns}'s jwks.json at {at}");
                    }
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        }

        // The first key and one for about every hour (every hour and a half at quarter-hour steps); the first ones left the JWKS.
        Assert.True(signers.Count >= 15, $"the JWT key rotated {signers.Count - 1} times");
        var final = Kids(history[^1].Jwks[namespaces[0]]);
        Assert.DoesNotContain(signers[0], final);
        Assert.DoesNotContain(signers[1], final);

        // jose, for the first two keys that were dropped: a JWT-SVID each signed is accepted against the last jwks.json that
        // still held the key, and rejected (no matching key) against the first one without it.
        foreach (var kid in signers.Take(2))
        {
            var svid = svids[kid];
            var lastWith = history.Last(h => Kids(h.Jwks[namespaces[0]]).Contains(kid)).Jwks[namespaces[0]];
            var firstWithout = history.First(h => h.At > history.Last(x => Kids(x.Jwks[namespaces[0]]).Contains(kid)).At).Jwks[namespaces[0]];
            var before = Assert.Single(await JwtConsumers.JoseAsync(lastWith, op.Host!.IssuerUrl!, (svid, Audience)));
            Assert.True(before.Ok, $"jose rejected a JWT-SVID of {kid} against the last jwks.json that held its key: {before.Error}");
            var after = Assert.Single(await JwtConsumers.JoseAsync(firstWithout, op.Host!.IssuerUrl!, (svid, Audience)));
            Assert.False(after.Ok, $"jose accepted a JWT-SVID of {kid} after its key left jwks.json");
            Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", after.Error);
        }
    }

    /// <summary>Microsoft.IdentityModel's check of a JWT-SVID on the simulated clock: signature by kid, typ, iss, aud, exp.</summary>
    private static Task<TokenValidationResult> ValidateSvidAsync(string token, string jwks, string issuer, DateTimeOffset now) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidAudience = Audience,
            ValidIssuer = issuer,
            ValidTypes = ["JWT"],
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = (_, expires, _, _) => expires is { } e && now < e,
        });

    private static HashSet<string> Kids(string jwks) => [.. new JsonWebKeySet(jwks).Keys.Select(k => k.Kid)];
}
