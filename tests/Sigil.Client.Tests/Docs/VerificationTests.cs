using Sigil.Api;
using Sigil.Client.ApiKeys;
using Sigil.Mount;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Docs;

/// <summary>
/// README "API keys and HMAC secrets": the library calls it shows, run against what the operator writes, mounted as the
/// kubelet mounts it. They must accept Sigil's Bearer and HMAC keys and reject forgeries.
/// </summary>
public sealed class VerificationTests
{
    [Fact]
    public async Task The_README_library_calls_accept_Sigils_Bearer_and_HMAC_keys_and_reject_forgeries()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments", "signer"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("payments", "orders"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("signer", "orders", type: "HMACSHA256"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        await op.WaitForAsync(ns, "signer", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 2);
        var mounts = Directory.CreateTempSubdirectory("sigil-docs-");
        try
        {
            async Task<string> MountAsync(string secret)
            {
                var dir = Path.Combine(mounts.FullName, secret);
                AtomicWriter.Write(dir, (await op.SecretAsync(ns, secret))!.Data.ToDictionary());
                return dir;
            }
            using var verifiers = new VerifierKeysSource(await MountAsync("orders-verifiers"));
            using var bearer = new ApiKeySource(await MountAsync("payments-k-apikey"));
            using var hmac = new ApiKeySource(await MountAsync("signer-k-apikey"));
            var now = DateTimeOffset.UtcNow;
            var body = HmacSignature.BodyHash("{\"order\":42}"u8);
            var nonce = HmacSignature.NewNonce();
            var signed = new HmacAuthorization(hmac.Current.KeyId, now.ToUnixTimeSeconds(),
                HmacSignature.Sign(hmac.Current.HmacSecret!, "POST", "/orders?x=1", now.ToUnixTimeSeconds(), body, nonce), nonce);
            Assert.True(HmacSignature.TryParseParameters(HmacSignature.FormatHeader(signed)[(HmacSignature.Scheme.Length + 1)..], out var received));

            Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", verifiers.Current.VerifyBearer(bearer.Current.Key, now)?.Caller.ToString());
            Assert.Null(verifiers.Current.VerifyBearer(bearer.Current.Key[..^2] + "xx", now));
            Assert.Null(verifiers.Current.VerifyBearer(hmac.Current.Key, now));   // an HMAC key is never a Bearer token
            Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/signer",
                verifiers.Current.VerifyHmac(received!, "POST", "/orders?x=1", body, now, HmacSignature.DefaultReplayWindow)?.Caller.ToString());
            Assert.Null(verifiers.Current.VerifyHmac(received!, "POST", "/orders?x=2", body, now, HmacSignature.DefaultReplayWindow));
            Assert.Null(verifiers.Current.VerifyHmac(received!, "POST", "/orders?x=1", HmacSignature.BodyHash("{}"u8), now, HmacSignature.DefaultReplayWindow));
            Assert.Null(verifiers.Current.VerifyHmac(received!, "POST", "/orders?x=1", body, now.AddHours(1), HmacSignature.DefaultReplayWindow));
        }
        finally
        {
            mounts.Delete(recursive: true);
        }
    }
}
