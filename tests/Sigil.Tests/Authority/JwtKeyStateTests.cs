using System.Text;
using k8s.Models;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

public sealed class JwtKeyStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = T0.AddDays(3);

    private static JwtKeyState ThreeKeys(out JwtSigningKey retiring, out JwtSigningKey active, out JwtSigningKey prepared)
    {
        retiring = JwtSigningKey.Generate(JwtSigningKey.RS256);
        active = JwtSigningKey.Generate(JwtSigningKey.ES256);
        prepared = JwtSigningKey.Generate(JwtSigningKey.ES256);
        return new JwtKeyState(
        [
            new JwtKeyRecord(retiring.KeyId, retiring.Algorithm, JwtKeyRole.Retiring, T0, ActivatedAt: T0, RetiredAt: T0.AddDays(1)),
            new JwtKeyRecord(active.KeyId, active.Algorithm, JwtKeyRole.Active, T0.AddHours(20), ActivatedAt: T0.AddDays(1)),
            new JwtKeyRecord(prepared.KeyId, prepared.Algorithm, JwtKeyRole.Prepared, T0.AddDays(2), PublishedAt: T0.AddDays(2).AddMinutes(1)),
        ], new Dictionary<string, JwtSigningKey> { [retiring.KeyId] = retiring, [active.KeyId] = active, [prepared.KeyId] = prepared }, 7);
    }

    private static V1Secret Secret(JwtKeyState state)
    {
        var (data, json) = JwtKeyStateCodec.Write(state);
        return new V1Secret { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [JwtKeyStateCodec.StateAnnotation] = json } }, Data = data };
    }

    [Fact]
    public void A_stored_state_reads_back_as_written_with_the_same_keys()
    {
        var state = ThreeKeys(out var retiring, out var active, out var prepared);

        var read = JwtKeyStateCodec.Read(Secret(state), Now);

        Assert.Equal(state.Keys, read.Keys);
        Assert.Equal(7, read.Sequence);
        Assert.Equal(active.KeyId, read.ToKeySet().Signer?.KeyId);
        Assert.Equal([retiring.KeyId, active.KeyId, prepared.KeyId], read.ToKeySet().Published.Select(k => k.KeyId));
        Assert.Equal(JwtSigningKey.RS256, read.Material[retiring.KeyId].Algorithm);
        Assert.Equal(prepared.PrivateKeyPem(), read.Material[prepared.KeyId].PrivateKeyPem());
    }

    [Fact]
    public void Each_key_is_PKCS8_PEM_under_its_kid_and_the_annotation_holds_no_key_material()
    {
        var state = ThreeKeys(out var retiring, out var active, out _);

        var (data, json) = JwtKeyStateCodec.Write(state);

        Assert.Equal(state.Keys.Select(k => k.KeyId + ".key").Order(), data.Keys.Order());
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", Encoding.ASCII.GetString(data[active.KeyId + ".key"]), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Encoding.ASCII.GetString(data[retiring.KeyId + ".key"]).Split('\n')[1], json, StringComparison.Ordinal);
        Assert.Contains("\"role\":\"retiring\"", json, StringComparison.Ordinal);
        Assert.Contains("\"alg\":\"RS256\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JwtSigningKey.ES256)]
    [InlineData(JwtSigningKey.RS256)]
    public async Task Openssl_reads_each_stored_key_as_the_key_its_kid_names(string algorithm)
    {
        var key = JwtSigningKey.Generate(algorithm);
        var state = new JwtKeyState([new JwtKeyRecord(key.KeyId, algorithm, JwtKeyRole.Active, T0, ActivatedAt: T0)],
            new Dictionary<string, JwtSigningKey> { [key.KeyId] = key }, 1);
        var folder = Directory.CreateTempSubdirectory("sigil-jwt-key-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "stored.key"), JwtKeyStateCodec.Write(state).Data[key.KeyId + ".key"]);

            var publicKey = await Openssl.RunAsync(folder.FullName, "pkey", "-in", "stored.key", "-pubout");

            Assert.Equal(key.Key.ExportSubjectPublicKeyInfoPem().Trim(), publicKey.Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void No_Secret_and_a_Secret_with_no_key_read_as_no_key_so_the_lifecycle_makes_a_first_one()
    {
        Assert.Empty(JwtKeyStateCodec.Read(null, Now).Keys);
        Assert.Empty(JwtKeyStateCodec.Read(new V1Secret { Metadata = new V1ObjectMeta() }, Now).Keys);
        Assert.Equal(JwtKeySteps.First, JwtKeyLifecycle.Decide(new([], JwtSigningKey.ES256, TimeSpan.FromHours(168), TimeSpan.FromMinutes(10), true, Now))?.Step);
    }

    public static TheoryData<string> Garbled => ["not json", "{\"sequence\":", "[]", "{\"sequence\":3,\"keys\":[{\"role\":\"active\"}]}", "{\"sequence\":3,\"keys\":[{\"kid\":\"x\",\"alg\":\"ES256\",\"role\":\"boss\",\"preparedAt\":\"2026-01-01T00:00:00Z\"}]}"];

    [Theory]
    [MemberData(nameof(Garbled))]
    public void A_garbled_annotation_keeps_every_stored_key_published_as_retiring_from_now_and_never_makes_a_key_that_signs_at_once(string annotation)
    {
        var state = ThreeKeys(out var retiring, out var active, out var prepared);
        var secret = Secret(state);
        secret.Metadata.Annotations[JwtKeyStateCodec.StateAnnotation] = annotation;

        var read = JwtKeyStateCodec.Read(secret, Now);

        Assert.False(JwtKeyStateCodec.Readable(secret));
        Assert.Equal(new[] { retiring.KeyId, active.KeyId, prepared.KeyId }.Order(StringComparer.Ordinal), read.Keys.Select(k => k.KeyId));
        Assert.All(read.Keys, k => Assert.Equal((JwtKeyRole.Retiring, Now), (k.Role, k.RetiredAt)));
        Assert.Equal(JwtSigningKey.RS256, read.Keys.Single(k => k.KeyId == retiring.KeyId).Algorithm);
        Assert.Equal(JwtKeySteps.Prepare, JwtKeyLifecycle.Decide(new(read.Keys, JwtSigningKey.ES256, TimeSpan.FromHours(168), TimeSpan.FromMinutes(10), true, Now))?.Step);
    }

    [Fact]
    public void A_record_whose_key_is_missing_unreadable_or_another_key_is_left_out()
    {
        var state = ThreeKeys(out var retiring, out var active, out var prepared);
        var secret = Secret(state);
        secret.Data.Remove(retiring.KeyId + ".key");
        secret.Data[active.KeyId + ".key"] = Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
        // A key stored under another key's kid is not that key.
        secret.Data[prepared.KeyId + ".key"] = Encoding.ASCII.GetBytes(JwtSigningKey.Generate(JwtSigningKey.ES256).PrivateKeyPem());

        var read = JwtKeyStateCodec.Read(secret, Now);

        Assert.Empty(read.Keys);
    }

    [Fact]
    public void A_second_active_or_prepared_record_is_left_out_so_one_key_signs()
    {
        var state = ThreeKeys(out _, out var active, out _);
        var other = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var doubled = new JwtKeyState([.. state.Keys, new JwtKeyRecord(other.KeyId, other.Algorithm, JwtKeyRole.Active, T0, ActivatedAt: T0)],
            new Dictionary<string, JwtSigningKey>(state.Material) { [other.KeyId] = other }, state.Sequence);

        var read = JwtKeyStateCodec.Read(Secret(doubled), Now);

        Assert.Equal(active.KeyId, read.ToKeySet().Signer?.KeyId);
        Assert.Equal(3, read.Keys.Count);
    }

    [Fact]
    public void Preparing_and_dropping_change_the_published_set_and_the_sequence_activating_changes_only_the_signer()
    {
        var state = ThreeKeys(out var retiring, out var active, out var prepared);
        var next = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var at = T0.AddDays(3).AddMilliseconds(700);

        var activated = JwtKeyTransitions.Apply(state, new JwtKeyDecision(JwtKeySteps.Activate, "", prepared.KeyId), at, () => throw new InvalidOperationException());
        var dropped = JwtKeyTransitions.Apply(activated, new JwtKeyDecision(JwtKeySteps.Drop, "", retiring.KeyId), at, () => throw new InvalidOperationException());
        var preparedAgain = JwtKeyTransitions.Apply(dropped, new JwtKeyDecision(JwtKeySteps.Prepare, ""), at, () => next);

        Assert.Equal(prepared.KeyId, activated.ToKeySet().Signer?.KeyId);
        Assert.Equal(state.ToKeySet().Published.Select(k => k.KeyId), activated.ToKeySet().Published.Select(k => k.KeyId));
        Assert.Equal(state.Sequence, activated.Sequence);
        Assert.Equal((JwtKeyRole.Retiring, (DateTimeOffset?)T0.AddDays(3)), activated.Keys.Single(k => k.KeyId == active.KeyId) is var r ? (r.Role, r.RetiredAt) : default);
        Assert.Equal([active.KeyId, prepared.KeyId], dropped.Keys.Select(k => k.KeyId));
        Assert.False(dropped.Material.ContainsKey(retiring.KeyId));
        Assert.Equal(state.Sequence + 1, dropped.Sequence);
        Assert.Equal([active.KeyId, prepared.KeyId, next.KeyId], preparedAgain.ToKeySet().Published.Select(k => k.KeyId));
        Assert.Equal(prepared.KeyId, preparedAgain.ToKeySet().Signer?.KeyId);
        Assert.Equal(state.Sequence + 2, preparedAgain.Sequence);
    }

    [Fact]
    public void Recording_publication_changes_nothing_a_bundle_shows()
    {
        var state = ThreeKeys(out _, out _, out _);

        var unpublished = JwtKeyTransitions.Apply(state, new JwtKeyDecision(JwtKeySteps.Unpublish, ""), Now, () => throw new InvalidOperationException());
        var published = JwtKeyTransitions.Apply(unpublished, new JwtKeyDecision(JwtKeySteps.MarkPublished, ""), Now, () => throw new InvalidOperationException());

        Assert.Null(unpublished.Keys.Single(k => k.Role == JwtKeyRole.Prepared).PublishedAt);
        Assert.Equal(Now, published.Keys.Single(k => k.Role == JwtKeyRole.Prepared).PublishedAt);
        Assert.Equal(state.Sequence, published.Sequence);
    }
}
