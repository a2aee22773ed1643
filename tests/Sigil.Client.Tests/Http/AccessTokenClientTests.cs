using System.Security.Cryptography;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sigil.Api;
using Sigil.Client.Http;
using Sigil.Client.Mounting;
using Sigil.Client.OAuth2;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Http;

/// <summary>
/// The operator with its token endpoint, a client identity "payments" (an SVID and a client secret, mounted into
/// kubelet-style folders from the Secrets the operator wrote), a receiver "orders" that accepts it and a receiver
/// "billing" that does not.
/// </summary>
public sealed class TokenEndpointWorld : IAsyncLifetime
{
    private readonly KubeletFolder _oauth2 = new();
    private readonly KubeletFolder _svid = new();
    private TestCluster? _cluster;

    internal OperatorUnderTest Op { get; private set; } = null!;

    public string Namespace { get; private set; } = "";

    public string OAuth2Folder => _oauth2.Path;

    public string SvidFolder => _svid.Path;

    public string ClientSecret { get; private set; } = "";

    public SpiffeId Orders => SpiffeId.Parse($"spiffe://cluster.local/ns/{Namespace}/sa/orders");

    public SpiffeId Payments => SpiffeId.Parse($"spiffe://cluster.local/ns/{Namespace}/sa/payments");

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(ClusterKind.Local);
        Op = await OperatorUnderTest.StartAsync(_cluster);
        Namespace = await _cluster.CreateNamespaceAsync();
        await Op.CreateAsync(Namespace, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "orders" },
            Spec = new ServiceIdentitySpec { AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "payments", Scopes = ["orders.read", "orders.write"] }] },
        });
        await Op.CreateAsync(Namespace, OperatorUnderTest.Receiver("billing", "someone-else"));
        await Op.CreateAsync(Namespace, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "payments" },
            Spec = new ServiceIdentitySpec
            {
                X509 = new X509Spec(),
                OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h", GracePeriod = "1h" } } },
            },
        });
        await Op.WaitForAsync(Namespace, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null && i.Status?.X509?.SerialNumber is not null);
        var oauth2 = (await Op.SecretAsync(Namespace, "payments-oauth2"))!;
        var svid = (await Op.SecretAsync(Namespace, "payments-svid"))!;
        _oauth2.Write(oauth2.Data.ToDictionary(d => d.Key, d => d.Value));
        _svid.Write(svid.Data.ToDictionary(d => d.Key, d => d.Value));
        ClientSecret = OperatorUnderTest.Text(oauth2, "client-secret");
    }

    public async ValueTask DisposeAsync()
    {
        await Op.DisposeAsync();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        _oauth2.Dispose();
        _svid.Dispose();
    }

    /// <summary>Asks the operator to rotate payments' credentials and mounts the renewed SVID (the kubelet's next sync).</summary>
    public async Task RenewSvidAsync()
    {
        var serial = (await Op.GetAsync(Namespace, "payments")).Status!.X509!.SerialNumber;
        await Op.PatchAsync(Namespace, "payments", "{\"metadata\":{\"annotations\":{\"sigil.dev/rotate\":\"" + Guid.NewGuid().ToString("N") + "\"}}}");
        await Op.WaitForAsync(Namespace, "payments", Reasons.Issued, i => i.Status?.X509?.SerialNumber is { } s && s != serial);
        _svid.Write((await Op.SecretAsync(Namespace, "payments-svid"))!.Data.ToDictionary(d => d.Key, d => d.Value));
    }

    public double Issued(string method) => Op.Host!.Metrics.TokensIssued.WithLabels(method).Value;
}

/// <summary>AccessTokenClient against Sigil's real token endpoint (in-process operator, local control plane).</summary>
public sealed class AccessTokenClientTests(TokenEndpointWorld world) : IClassFixture<TokenEndpointWorld>, IDisposable
{
    private static readonly CredentialSourceOptions Manual = new() { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() };

    private readonly OAuth2ClientSource _oauth2 = new(world.OAuth2Folder, Manual);
    private readonly TrustBundleSource _trust = new(world.SvidFolder, Manual);
    private readonly X509SvidSource _svid = new(world.SvidFolder, Manual);

    private static JsonElement Claims(string jwt) =>
        JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[1])).RootElement;

    [Fact]
    public async Task A_client_secret_client_gets_a_token_for_the_receiver_with_its_scopes()
    {
        var before = world.Issued("client_secret_basic");
        using var client = new AccessTokenClient(_oauth2, _trust, "orders", new AccessTokenClientOptions { Scope = "orders.read" });

        var token = await client.GetTokenAsync(TestContext.Current.CancellationToken);
        var claims = Claims(token.Value);

        Assert.Equal(world.Payments.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(world.Orders.ToString(), claims.GetProperty("aud").GetString());
        Assert.Equal("orders.read", token.Scope);
        Assert.False(claims.TryGetProperty("cnf", out _));
        Assert.Null(token.BoundThumbprint);
        Assert.Equal(before + 1, world.Issued("client_secret_basic"));
        Assert.DoesNotContain(token.Value, token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_SVID_client_gets_a_token_bound_to_its_certificate()
    {
        var before = world.Issued("tls_client_auth");
        using var client = new AccessTokenClient(_svid, _oauth2.Current.TokenEndpoint, world.Orders.ToString());

        var token = await client.GetTokenAsync(TestContext.Current.CancellationToken);
        var claims = Claims(token.Value);
        var thumbprint = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(_svid.Current.Certificate.RawData));

        Assert.Equal(world.Payments.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(thumbprint, claims.GetProperty("cnf").GetProperty("x5t#S256").GetString());
        Assert.Equal(thumbprint, token.BoundThumbprint);
        Assert.Equal("orders.read orders.write", token.Scope);
        Assert.Equal(before + 1, world.Issued("tls_client_auth"));
    }

    [Fact]
    public async Task After_the_SVID_is_renewed_a_cached_token_bound_to_the_old_certificate_is_replaced_by_one_bound_to_the_new()
    {
        using var client = new AccessTokenClient(_svid, _oauth2.Current.TokenEndpoint, "orders");
        var before = await client.GetTokenAsync(TestContext.Current.CancellationToken);
        var oldSerial = _svid.Current.Certificate.SerialNumber;

        await world.RenewSvidAsync();
        Assert.True(_svid.Reload());
        var after = await client.GetTokenAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(oldSerial, _svid.Current.Certificate.SerialNumber);
        Assert.NotEqual(before.BoundThumbprint, after.BoundThumbprint);
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(_svid.Current.Certificate.RawData)), after.BoundThumbprint);
    }

    [Fact]
    public async Task A_token_is_reused_until_80_percent_of_its_lifetime_then_replaced()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = new AccessTokenClient(_oauth2, _trust, "orders", new AccessTokenClientOptions { TimeProvider = clock });
        var first = await client.GetTokenAsync(TestContext.Current.CancellationToken);
        var lifetime = first.ExpiresAt - first.IssuedAt;
        Assert.Equal(TimeSpan.FromMinutes(15), lifetime);

        clock.Advance(lifetime * 0.79);
        var cached = await client.GetTokenAsync(TestContext.Current.CancellationToken);
        clock.Advance(lifetime * 0.02);
        var renewed = await client.GetTokenAsync(TestContext.Current.CancellationToken);

        Assert.Same(first, cached);
        Assert.NotEqual(first.Value, renewed.Value);
        Assert.NotEqual(Claims(first.Value).GetProperty("jti").GetString(), Claims(renewed.Value).GetProperty("jti").GetString());
    }

    [Fact]
    public async Task Concurrent_callers_share_one_request()
    {
        var before = world.Issued("client_secret_basic");
        using var client = new AccessTokenClient(_oauth2, _trust, "orders");

        var tokens = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => client.GetTokenAsync(TestContext.Current.CancellationToken).AsTask()));

        Assert.Single(tokens.Select(t => t.Value).Distinct());
        Assert.Equal(before + 1, world.Issued("client_secret_basic"));
    }

    [Fact]
    public async Task A_receiver_that_does_not_accept_the_caller_surfaces_invalid_target_and_never_the_secret()
    {
        using var client = new AccessTokenClient(_oauth2, _trust, "billing");

        var refused = await Assert.ThrowsAsync<AccessTokenException>(() => client.GetTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("invalid_target", refused.Error);
        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("invalid_target", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(refused.ErrorDescription);
        Assert.DoesNotContain(world.ClientSecret, refused.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(world.ClientSecret, _oauth2.Current.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_endpoint_whose_SPIFFE_ID_the_authorizer_refuses_is_never_sent_the_secret()
    {
        var before = world.Op.Host!.Metrics.TokenErrors.WithLabels("invalid_client").Value;
        using var client = new AccessTokenClient(_oauth2, _trust, "orders",
            new AccessTokenClientOptions { TokenEndpointAuthorizer = SpiffeIdAuthorizer.Exact(world.Orders) });

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.IsType<System.Security.Authentication.AuthenticationException>(refused.InnerException);
        Assert.Equal(before, world.Op.Host.Metrics.TokenErrors.WithLabels("invalid_client").Value);
    }

    [Fact]
    public async Task The_handler_sends_the_token_as_a_Bearer_header()
    {
        using var client = new AccessTokenClient(_oauth2, _trust, "orders");
        var capture = new CapturingHandler();
        using var http = new HttpClient(new AccessTokenHandler(client) { InnerHandler = capture });

        using var _ = await http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken);

        Assert.Equal($"Bearer {(await client.GetTokenAsync(TestContext.Current.CancellationToken)).Value}", capture.Authorization);
    }

    public void Dispose()
    {
        _oauth2.Dispose();
        _trust.Dispose();
        _svid.Dispose();
    }
}
