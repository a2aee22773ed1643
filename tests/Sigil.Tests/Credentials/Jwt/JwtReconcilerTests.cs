using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Credentials;
using Sigil.Credentials.Jwt;
using Sigil.Identity;
using Sigil.Observability;
using Sigil.Operator;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Credentials.Jwt;

/// <summary>
/// The JWT act step against a cluster, with a signing key of the test's own (independent of the key lifecycle): what it
/// writes, that it writes once per renewal, that one audience's problem leaves the others issued, and that it never
/// overwrites a Secret Sigil did not create.
/// </summary>
public sealed class JwtReconcilerTests : IAsyncDisposable
{
    private const string TrustDomain = "cluster.local";
    private const string Issuer = "https://sigil.test:8443";
    private const string Vault = "https://vault.example.com";

    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _owned = [];
    private TestCluster? _cluster;
    private OperatorUnderTest? _installed;
    private Informer<ServiceIdentity>? _identities;
    private Informer<V1Secret>? _secrets;
    private JwtReconciler? _reconciler;
    private string _ns = "";

    private async Task StartAsync()
    {
        _cluster = await TestCluster.StartAsync(ClusterKind.Local);
        // Installs the CRDs; the operator itself does not run: the test drives the act step.
        _installed = await OperatorUnderTest.StartAsync(_cluster, start: false);
        _ns = await _cluster.CreateNamespaceAsync();
        var logger = NullLogger.Instance;
        _identities = new Informer<ServiceIdentity>(Sources.ServiceIdentities(_cluster.Client), TimeProvider.System, logger);
        _secrets = new Informer<V1Secret>(Sources.ManagedSecrets(_cluster.Client), TimeProvider.System, logger);
        _ = _identities.RunAsync(_stop.Token);
        _ = _secrets.RunAsync(_stop.Token);
        await Task.WhenAll(_identities.Synced, _secrets.Synced);
        _reconciler = new JwtReconciler(_identities, new SecretAccess(_cluster.Client, _secrets), TrustDomain, () => Issuer, new SigilMetrics(), logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _owned.ForEach(o => o.Dispose());
        if (_installed is not null)
        {
            await _installed.DisposeAsync();
        }
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private TrustSnapshot Trust(JwtSigningKey? signer, params JwtSigningKey[] published)
    {
        var ca = CertificateAuthority.CreateRoot(TrustDomain, TimeProvider.System);
        _owned.Add(ca);
        var state = new AuthorityState(ca, null, null, null, false, [], null, 1);
        return new TrustSnapshot(state, TimeProvider.System, TimeSpan.Zero, new JwtKeySet(signer, published.Length > 0 ? published : signer is null ? [] : [signer], 1));
    }

    private JwtSigningKey Key(string algorithm = JwtSigningKey.ES256)
    {
        var key = JwtSigningKey.Generate(algorithm);
        _owned.Add(key);
        return key;
    }

    private static ServiceIdentity Caller(string name, params (string Name, string Audience)[] audiences) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec { Jwt = new JwtSpec { Audiences = [.. audiences.Select(a => new JwtAudienceSpec { Name = a.Name, Audience = a.Audience })] } },
    };

    private async Task<ServiceIdentity> CreateAsync(ServiceIdentity identity)
    {
        await _installed!.CreateAsync(_ns, identity);
        return await CachedAsync(identity.Metadata.Name, _ => true);
    }

    private async Task<ServiceIdentity> CachedAsync(string name, Func<ServiceIdentity, bool> ready)
    {
        ServiceIdentity? found = null;
        await Eventually.TrueAsync(() => Task.FromResult((found = _identities!.Get(_ns, name)) is not null && ready(found)));
        return found!;
    }

    private async Task<JwtOutcome> PassAsync(ServiceIdentity identity, TrustSnapshot trust, DateTimeOffset? now = null, string? rotate = null)
    {
        var outcome = (await _reconciler!.ReconcileAsync(identity, Consent.IdOf(identity, TrustDomain), rotate, trust, now ?? DateTimeOffset.UtcNow, CancellationToken.None))!;
        // The next pass reads the cache, as the operator's does: wait until it holds what this one wrote.
        if (await _cluster!.Client.ReadSecretOrNullAsync(_ns, $"{identity.Metadata.Name}-jwt") is { } written && written.Metadata.Labels?.ContainsKey(Labels.ManagedBy) == true)
        {
            await Eventually.TrueAsync(() => Task.FromResult(_secrets!.Get(_ns, written.Metadata.Name)?.Metadata.ResourceVersion == written.Metadata.ResourceVersion));
        }
        return outcome;
    }

    private async Task<V1Secret?> SecretAsync(string name) => await _cluster!.Client.ReadSecretOrNullAsync(_ns, name);

    private static string Token(V1Secret secret, string key) => OperatorUnderTest.Text(secret, key);

    [Fact]
    public async Task Accepted_and_URL_audiences_get_tokens_that_jose_and_IdentityModel_verify_and_a_second_pass_writes_nothing()
    {
        await StartAsync();
        await CreateAsync(OperatorUnderTest.Receiver("orders", "payments"));
        var payments = await CreateAsync(Caller("payments", ("orders", "orders"), ("vault", Vault)));
        var key = Key();
        var trust = Trust(key);

        var outcome = await PassAsync(payments, trust);
        var secret = (await SecretAsync("payments-jwt"))!;
        var again = await PassAsync(payments, trust);

        Assert.Null(outcome.NotReady);
        Assert.Equal(Reasons.Issued, outcome.Event?.Reason);
        Assert.Equal("Opaque", secret.Type);
        Assert.Equal(["orders.jwt", "vault.jwt"], secret.Data.Keys.Order());
        var ordersAud = $"spiffe://cluster.local/ns/{_ns}/sa/orders";
        var jose = await JwtConsumers.JoseAsync(trust.Jwks, Issuer, (Token(secret, "orders.jwt"), ordersAud), (Token(secret, "vault.jwt"), Vault));
        Assert.All(jose, v => Assert.True(v.Ok, v.Error));
        Assert.All(jose, v => Assert.Equal(["aud", "exp", "iat", "iss", "sub"], v.Claims));
        Assert.All(jose, v => Assert.Equal(($"spiffe://cluster.local/ns/{_ns}/sa/payments", key.KeyId), (v.Sub, v.Kid)));
        Assert.True((await JwtConsumers.IdentityModelAsync(trust.Jwks, Issuer, Token(secret, "orders.jwt"), ordersAud)).Ok);
        Assert.True((await JwtConsumers.IdentityModelAsync(trust.Jwks, Issuer, Token(secret, "vault.jwt"), Vault)).Ok);
        Assert.Equal(secret.Metadata.ResourceVersion, (await SecretAsync("payments-jwt"))!.Metadata.ResourceVersion);
        Assert.Null(again.Event);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(outcome.Status), System.Text.Json.JsonSerializer.Serialize(again.Status));
        Assert.Equal(key.KeyId, outcome.Status!.KeyId);
        Assert.Equal(["orders", "vault"], outcome.Status.Audiences!.Select(a => a.Name));
        Assert.Equal(outcome.Status.NextRotationTime, outcome.NextDue);
    }

    [Fact]
    public async Task A_receiver_that_does_not_accept_is_left_out_until_it_does_and_then_only_its_token_is_added()
    {
        await StartAsync();
        await CreateAsync(OperatorUnderTest.Receiver("orders", "billing"));
        var payments = await CreateAsync(Caller("payments", ("orders", "orders"), ("vault", Vault)));
        var trust = Trust(Key());

        var refused = await PassAsync(payments, trust);
        var before = (await SecretAsync("payments-jwt"))!;
        await _installed!.PatchAsync(_ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"billing"},{"serviceIdentity":"payments"}]}}""");
        await CachedAsync("orders", o => o.Spec.AcceptsFrom!.Count == 2);
        var accepted = await PassAsync(payments, trust);
        var after = (await SecretAsync("payments-jwt"))!;

        Assert.Equal(Reasons.NotAccepted, refused.NotReady?.Reason);
        Assert.Contains($"{_ns}/orders does not accept this identity: add {{serviceIdentity: payments}} to its spec.acceptsFrom", refused.NotReady!.Message, StringComparison.Ordinal);
        Assert.Equal(["vault.jwt"], before.Data.Keys);
        Assert.Null(accepted.NotReady);
        Assert.Equal(["orders.jwt", "vault.jwt"], after.Data.Keys.Order());
        Assert.Equal(Token(before, "vault.jwt"), Token(after, "vault.jwt"));
        Assert.Null(accepted.Event);
    }

    [Fact]
    public async Task A_receiver_that_withdraws_its_consent_loses_the_token_at_once()
    {
        await StartAsync();
        await CreateAsync(OperatorUnderTest.Receiver("orders", "payments"));
        var payments = await CreateAsync(Caller("payments", ("orders", "orders"), ("vault", Vault)));
        var trust = Trust(Key());
        await PassAsync(payments, trust);

        await _installed!.PatchAsync(_ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"billing"}]}}""");
        await CachedAsync("orders", o => o.Spec.AcceptsFrom![0].ServiceIdentity == "billing");
        var withdrawn = await PassAsync(payments, trust);

        Assert.Equal(Reasons.NotAccepted, withdrawn.NotReady?.Reason);
        Assert.Equal(["vault.jwt"], (await SecretAsync("payments-jwt"))!.Data.Keys);
        Assert.Equal(["vault"], withdrawn.Status!.Audiences!.Select(a => a.Name));
    }

    [Fact]
    public async Task A_Secret_Sigil_did_not_create_is_reported_and_never_overwritten()
    {
        await StartAsync();
        await _cluster!.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-jwt" },
            StringData = new Dictionary<string, string> { ["mine"] = "keep" },
        }, _ns);
        var payments = await CreateAsync(Caller("payments", ("vault", Vault)));

        // The cache holds only Secrets Sigil labeled: the first pass learns of this one from its create (a 409), changes
        // nothing, and asks for another pass, which reads the name from the API.
        await Assert.ThrowsAsync<LookAgainException>(() => PassAsync(payments, Trust(Key())));
        var outcome = await PassAsync(payments, Trust(Key()));
        var secret = (await SecretAsync("payments-jwt"))!;

        Assert.Equal(Reasons.SecretConflict, outcome.NotReady?.Reason);
        Assert.Contains("spec.jwt.secretName", outcome.NotReady!.Message, StringComparison.Ordinal);
        Assert.Equal(["mine"], secret.Data.Keys);
        Assert.NotNull(outcome.NextDue);
    }

    [Fact]
    public async Task Without_a_signing_key_it_waits_as_Pending_and_issues_once_a_key_is_there()
    {
        await StartAsync();
        var payments = await CreateAsync(Caller("payments", ("vault", Vault)));

        var waiting = await PassAsync(payments, Trust(null));
        var missing = await SecretAsync("payments-jwt");
        var issued = await PassAsync(payments, Trust(Key()));

        Assert.Equal(Reasons.Pending, waiting.NotReady?.Reason);
        Assert.Contains("no JWT signing key is loaded yet", waiting.NotReady!.Message, StringComparison.Ordinal);
        Assert.Null(missing);
        Assert.NotNull(waiting.NextDue);
        Assert.Null(issued.NotReady);
        Assert.Equal(["vault.jwt"], (await SecretAsync("payments-jwt"))!.Data.Keys);
    }

    [Fact]
    public async Task Tokens_renew_at_their_renewal_time_not_a_second_before_and_at_once_when_their_key_is_dropped()
    {
        await StartAsync();
        var payments = await CreateAsync(Caller("payments", ("vault", Vault)));
        var first = Key();
        var trust = Trust(first);
        var issued = await PassAsync(payments, trust);
        var renewal = issued.Status!.NextRotationTime!.Value;
        var rv = (await SecretAsync("payments-jwt"))!.Metadata.ResourceVersion;

        var early = await PassAsync(payments, trust, renewal.AddSeconds(-1));
        var unchanged = (await SecretAsync("payments-jwt"))!.Metadata.ResourceVersion;
        var renewed = await PassAsync(payments, trust, renewal);
        var second = Key(JwtSigningKey.RS256);
        var dropped = await PassAsync(payments, Trust(second), renewal.AddSeconds(1));
        var secret = (await SecretAsync("payments-jwt"))!;

        Assert.Equal(rv, unchanged);
        Assert.Null(early.RenewedAt);
        Assert.Equal(Timestamps.ToSecond(renewal), renewed.RenewedAt);
        Assert.Null(renewed.Event);
        Assert.True(renewed.Status!.NextRotationTime > renewal);
        Assert.Equal(second.KeyId, dropped.Status!.KeyId);
        Assert.Equal(second.KeyId, JwtSecretReader.Parse(secret.Data["vault.jwt"])!.KeyId);
        Assert.True((await JwtConsumers.IdentityModelAsync(Trust(second).Jwks, Issuer, Token(secret, "vault.jwt"), Vault)).Ok);
    }

    [Fact]
    public async Task A_rotate_request_renews_every_token_once_with_a_Rotated_event()
    {
        await StartAsync();
        var payments = await CreateAsync(Caller("payments", ("vault", Vault), ("other", "https://other.example.com")));
        var trust = Trust(Key());
        await PassAsync(payments, trust);
        var before = (await SecretAsync("payments-jwt"))!;

        var rotated = await PassAsync(payments, trust, DateTimeOffset.UtcNow.AddSeconds(2), rotate: "r1");
        var after = (await SecretAsync("payments-jwt"))!;
        var again = await PassAsync(payments, trust, DateTimeOffset.UtcNow.AddSeconds(3), rotate: "r1");

        Assert.Equal(Reasons.Rotated, rotated.Event?.Reason);
        Assert.NotEqual(Token(before, "vault.jwt"), Token(after, "vault.jwt"));
        Assert.NotEqual(Token(before, "other.jwt"), Token(after, "other.jwt"));
        Assert.Equal("r1", after.Metadata.Annotations[Labels.RotationRequestAnnotation]);
        Assert.Null(again.RenewedAt);
        Assert.Equal(after.Metadata.ResourceVersion, (await SecretAsync("payments-jwt"))!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task An_invalid_jwt_spec_is_reported_and_writes_nothing()
    {
        await StartAsync();
        // The CRD's rules admit the name "." (its pattern allows dots); the operator refuses it, as its key would be "..jwt".
        var payments = await CreateAsync(Caller("payments", (".", "https://vault.example.com")));

        var outcome = await PassAsync(payments, Trust(Key()));

        Assert.Equal(Reasons.InvalidSpec, outcome.NotReady?.Reason);
        Assert.Null(await SecretAsync("payments-jwt"));
    }
}
