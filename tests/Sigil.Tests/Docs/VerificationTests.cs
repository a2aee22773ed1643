using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Docs;

/// <summary>The README's verification snippets, run against what Sigil writes: they must accept Sigil's keys and reject others.</summary>
public sealed class VerificationTests
{
#pragma warning disable IDE1006, CA1812 // the record mirrors keys.json, as in the README
    private sealed record VerifierEntry(string keyId, string caller, string type, string? sha256, string? secret, DateTimeOffset? notAfter);
#pragma warning restore IDE1006, CA1812

    // --- README snippet (Bearer) ---
    private static string? VerifyBearer(string presented, IReadOnlyList<VerifierEntry> keys, DateTimeOffset now)
    {
        var parts = presented.Split('_');
        if (parts.Length < 3 || parts[0] != "sgl")
        {
            return null;
        }
        var entry = keys.FirstOrDefault(k => k.keyId == parts[1] && k.type == "Bearer" && (k.notAfter is null || k.notAfter > now));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
        return entry is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(entry.sha256!))
            ? entry.caller : null;
    }

    // --- README snippets (HMAC) ---
    private static string Sign(string secret, string method, string pathAndQuery, long timestamp, byte[] body)
    {
        var toSign = $"{method}\n{pathAndQuery}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(toSign));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static string? VerifyHmac(string keyId, long timestamp, string signature, string method, string pathAndQuery, byte[] body,
        IReadOnlyList<VerifierEntry> keys, DateTimeOffset now)
    {
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > 300)
        {
            return null;
        }
        var entry = keys.FirstOrDefault(k => k.keyId == keyId && k.type == "HMACSHA256" && (k.notAfter is null || k.notAfter > now));
        if (entry is null)
        {
            return null;
        }
        var expected = Sign(entry.secret!, method, pathAndQuery, timestamp, body);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)) ? entry.caller : null;
    }

    [Fact]
    public async Task The_README_snippets_accept_Sigils_Bearer_and_HMAC_keys_and_reject_forgeries()
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
        var keys = JsonSerializer.Deserialize<List<VerifierEntry>>((await op.SecretAsync(ns, "orders-verifiers"))!.Data["keys.json"])!;
        var bearer = OperatorUnderTest.Text((await op.SecretAsync(ns, "payments-k-apikey"))!, "api-key");
        var hmacSecret = (await op.SecretAsync(ns, "signer-k-apikey"))!;
        var now = DateTimeOffset.UtcNow;
        var body = "{\"order\":42}"u8.ToArray();
        var signature = Sign(OperatorUnderTest.Text(hmacSecret, "hmac-secret"), "POST", "/orders?x=1", now.ToUnixTimeSeconds(), body);
        var keyId = OperatorUnderTest.Text(hmacSecret, "key-id");

        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", VerifyBearer(bearer, keys, now));
        Assert.Null(VerifyBearer(bearer[..^2] + "xx", keys, now));
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/signer", VerifyHmac(keyId, now.ToUnixTimeSeconds(), signature, "POST", "/orders?x=1", body, keys, now));
        Assert.Null(VerifyHmac(keyId, now.ToUnixTimeSeconds(), signature, "POST", "/orders?x=2", body, keys, now));
        Assert.Null(VerifyHmac(keyId, now.ToUnixTimeSeconds() - 3600, signature, "POST", "/orders?x=1", body, keys, now));
    }
}
