using System.Reflection;
using System.Reflection.Emit;
using System.Security.Cryptography;
using System.Text;
using Sigil.Client.ApiKeys;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.ApiKeys;

/// <summary>What a receiver's keys.json lets through, with the attacker's attempts first.</summary>
public sealed class VerifierKeysTests
{
    private const string Payments = "spiffe://cluster.local/ns/shop/sa/payments";
    private const string Web = "spiffe://cluster.local/ns/web/sa/frontend";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = HmacSignature.DefaultReplayWindow;

    // A fixed id with letters in it, so its uppercase spelling differs.
    private static readonly (string KeyId, string Key, string HmacSecret) Key =
        ("69ba5cd317", "sgl_69ba5cd317_" + ApiKeyFolders.NewKey().Key.Split('_', 3)[2], ApiKeyFolders.NewKey().HmacSecret);

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static VerifierKey BearerEntry(string keyId, string key, DateTimeOffset? notAfter = null, string caller = Payments) =>
        new(keyId, caller, "orders", "Bearer", Sha256(key), null, notAfter);

    private static VerifierKey HmacEntry(string keyId, string secret, DateTimeOffset? notAfter = null) =>
        new(keyId, Payments, "orders", "HMACSHA256", null, secret, notAfter);

    public static TheoryData<string, string, DateTimeOffset?, bool> BearerCases => new()
    {
        { "the current key verifies", "current", null, true },
        { "a retired key inside its grace period verifies", "current", Now + TimeSpan.FromMinutes(1), true },
        { "a retired key past its notAfter is refused", "current", Now - TimeSpan.FromSeconds(1), false },
        { "a key at exactly its notAfter is refused", "current", Now, false },
        { "the right key id with another secret is refused", "other-secret", null, false },
        { "a key with an id no entry has is refused", "other-id", null, false },
        { "a key with an uppercase id is refused", "uppercase", null, false },
        { "the key without its sgl_ prefix is refused", "no-prefix", null, false },
        { "the key with a trailing space is refused", "trailing", null, false },
    };

    [Theory]
    [MemberData(nameof(BearerCases))]
    public void A_Bearer_key(string sentence, string presented, DateTimeOffset? notAfter, bool verifies)
    {
        var keys = new VerifierKeys([BearerEntry(Key.KeyId, Key.Key, notAfter)]);
        var key = presented switch
        {
            "other-secret" => $"sgl_{Key.KeyId}_{ApiKeyFolders.NewKey().Key.Split('_')[2]}",
            "other-id" => ApiKeyFolders.NewKey().Key,
            "uppercase" => $"sgl_{Key.KeyId.ToUpperInvariant()}_{Key.Key.Split('_', 3)[2]}",
            "no-prefix" => Key.Key["sgl_".Length..],
            "trailing" => Key.Key + " ",
            _ => Key.Key,
        };

        var caller = keys.VerifyBearer(key, Now);

        Assert.True((caller is not null) == verifies, sentence);
        if (verifies)
        {
            Assert.Equal(SpiffeId.Parse(Payments), caller!.Caller);
        }
    }

    [Fact]
    public void A_Bearer_key_is_refused_where_its_id_names_an_HMAC_entry_holding_the_same_hash()
    {
        // An entry of the wrong type must not verify, whatever it holds.
        var keys = new VerifierKeys([new VerifierKey(Key.KeyId, Payments, "orders", "HMACSHA256", Sha256(Key.Key), Key.Key, null)]);
        Assert.Null(keys.VerifyBearer(Key.Key, Now));
    }

    [Fact]
    public void Two_callers_sharing_a_key_id_each_verify_only_as_themselves()
    {
        var other = $"sgl_{Key.KeyId}_{ApiKeyFolders.NewKey().Key.Split('_', 3)[2]}";
        var keys = new VerifierKeys([BearerEntry(Key.KeyId, Key.Key), BearerEntry(Key.KeyId, other, caller: Web)]);

        Assert.Equal(SpiffeId.Parse(Payments), keys.VerifyBearer(Key.Key, Now)!.Caller);
        Assert.Equal(SpiffeId.Parse(Web), keys.VerifyBearer(other, Now)!.Caller);
    }

    private static HmacAuthorization Signed(string secret, string method, string pathAndQuery, string body, DateTimeOffset at, string? keyId = null) =>
        new(keyId ?? Key.KeyId, at.ToUnixTimeSeconds(),
            HmacSignature.Sign(secret, method, pathAndQuery, at.ToUnixTimeSeconds(), HmacSignature.BodyHash(Encoding.UTF8.GetBytes(body))));

    public static TheoryData<string, string, string, string, TimeSpan, bool> HmacCases => new()
    {
        // sentence, method, path and query, body, signed this long before now, verifies
        { "the request as signed verifies", "POST", "/orders?a=1", "{}", TimeSpan.Zero, true },
        { "a request signed 5 minutes ago still verifies", "POST", "/orders?a=1", "{}", TimeSpan.FromMinutes(5), true },
        { "a request signed more than 5 minutes ago is refused", "POST", "/orders?a=1", "{}", TimeSpan.FromSeconds(301), false },
        { "a request signed more than 5 minutes in the future is refused", "POST", "/orders?a=1", "{}", TimeSpan.FromSeconds(-301), false },
        { "the signature over another body is refused", "POST", "/orders?a=1", "{\"qty\":1000}", TimeSpan.Zero, false },
        { "the signature over another path is refused", "POST", "/admin?a=1", "{}", TimeSpan.Zero, false },
        { "the signature over another query is refused", "POST", "/orders?a=2", "{}", TimeSpan.Zero, false },
        { "the signature over another method is refused", "DELETE", "/orders?a=1", "{}", TimeSpan.Zero, false },
    };

    [Theory]
    [MemberData(nameof(HmacCases))]
    public void An_HMAC_signature_made_for_POST_orders(string sentence, string method, string pathAndQuery, string body, TimeSpan age, bool verifies)
    {
        var keys = new VerifierKeys([HmacEntry(Key.KeyId, Key.HmacSecret)]);
        var signed = Signed(Key.HmacSecret, "POST", "/orders?a=1", "{}", Now - age);

        var caller = keys.VerifyHmac(signed, method, pathAndQuery, HmacSignature.BodyHash(Encoding.UTF8.GetBytes(body)), Now, Window);

        Assert.True((caller is not null) == verifies, sentence);
    }

    [Fact]
    public void An_HMAC_signature_is_refused_by_a_retired_entry_a_Bearer_entry_and_another_secret()
    {
        var signed = Signed(Key.HmacSecret, "GET", "/", "", Now);
        var hash = HmacSignature.BodyHash([]);

        Assert.Null(new VerifierKeys([HmacEntry(Key.KeyId, Key.HmacSecret, Now - TimeSpan.FromSeconds(1))]).VerifyHmac(signed, "GET", "/", hash, Now, Window));
        Assert.Null(new VerifierKeys([new VerifierKey(Key.KeyId, Payments, "orders", "Bearer", null, Key.HmacSecret, null)]).VerifyHmac(signed, "GET", "/", hash, Now, Window));
        Assert.Null(new VerifierKeys([HmacEntry(Key.KeyId, ApiKeyFolders.NewKey().HmacSecret)]).VerifyHmac(signed, "GET", "/", hash, Now, Window));
        Assert.NotNull(new VerifierKeys([HmacEntry(Key.KeyId, Key.HmacSecret, Now + TimeSpan.FromHours(1))]).VerifyHmac(signed, "GET", "/", hash, Now, Window));
    }

    [Theory]
    [InlineData("keyId=abc, timestamp=1, signature=x", true)]
    [InlineData("signature=x, keyId=abc, timestamp=1", true)]
    [InlineData("keyId=abc, keyId=def, timestamp=1, signature=x", false)]
    [InlineData("keyId=abc, timestamp=-1, signature=x", false)]
    [InlineData("keyId=abc, timestamp=1e3, signature=x", false)]
    [InlineData("keyId=abc, timestamp=1", false)]
    [InlineData("keyId=abc, timestamp=1, signature=x, extra=1", false)]
    [InlineData("", false)]
    public void The_authorization_parameters_parse_only_in_their_one_shape(string parameters, bool parses) =>
        Assert.Equal(parses, HmacSignature.TryParseParameters(parameters, out _));

    [Theory]
    [InlineData(nameof(VerifierKeys.VerifyBearer))]
    [InlineData(nameof(VerifierKeys.VerifyHmac))]
    public void The_secret_comparison_is_constant_time(string method)
    {
        // Timing cannot be asserted reliably; what can be is that the compare is CryptographicOperations.FixedTimeEquals
        // and no early-exit sequence compare is called.
        var called = CalledMethods(typeof(VerifierKeys).GetMethod(method)!);

        Assert.Contains("CryptographicOperations.FixedTimeEquals", called);
        Assert.DoesNotContain(called, c => c.EndsWith(".SequenceEqual", StringComparison.Ordinal) || c.EndsWith(".SequenceCompareTo", StringComparison.Ordinal));
        Assert.DoesNotContain(called, c => c is "String.Equals" or "String.CompareOrdinal");
    }

    [Fact]
    public void Keys_json_that_is_not_a_list_of_entries_with_callers_is_refused_naming_the_file()
    {
        static FolderSnapshot Folder(string json) => new("/mounted/verifiers", "v1", new Dictionary<string, byte[]> { ["keys.json"] = Encoding.UTF8.GetBytes(json) });

        Assert.Contains("keys.json", Assert.Throws<SigilCredentialException>(() => VerifierKeys.Parse(Folder("{}"))).Message, StringComparison.Ordinal);
        Assert.Throws<SigilCredentialException>(() => VerifierKeys.Parse(Folder("""[{"keyId":"ab","caller":"payments","type":"Bearer"}]""")));
        Assert.Throws<SigilCredentialException>(() => VerifierKeys.Parse(Folder("[null]")));
        var parsed = VerifierKeys.Parse(Folder($$"""[{"keyId":"{{Key.KeyId}}","caller":"{{Payments}}","name":"orders","type":"Bearer","sha256":"{{Sha256(Key.Key)}}","notAfter":null}]"""));
        Assert.NotNull(parsed.VerifyBearer(Key.Key, Now));
    }

    [Fact]
    public void An_entry_prints_neither_its_hash_nor_its_secret()
    {
        var entry = new VerifierKey(Key.KeyId, Payments, "orders", "HMACSHA256", Sha256(Key.Key), Key.HmacSecret, null);
        Assert.DoesNotContain(Key.HmacSecret, entry.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Sha256(Key.Key), entry.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The methods a method's IL calls, as "Type.Method".</summary>
    private static List<string> CalledMethods(MethodInfo method)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        var calls = new List<string>();
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] != OpCodes.Call.Value && il[i] != (byte)OpCodes.Callvirt.Value)
            {
                continue;
            }
            try
            {
                var callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), method.DeclaringType!.GetGenericArguments(), null);
                if (callee is not null)
                {
                    calls.Add($"{callee.DeclaringType!.Name.Split('`')[0]}.{callee.Name}");
                }
            }
            catch (ArgumentException)
            {
                // Not a call instruction after all (a byte inside another operand).
            }
        }
        return calls;
    }
}
