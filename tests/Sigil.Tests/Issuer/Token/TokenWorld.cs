using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.Credentials.OAuth2;
using Sigil.Identity;
using Sigil.Issuer.Token;
using Sigil.Observability;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer.Token;

/// <summary>
/// A token endpoint on loopback over informer caches the test fills (identities and their OAuth2 Secrets, as the operator's
/// informers would hold them), read through the real <see cref="InformerTokenClients"/>.
/// </summary>
internal sealed class TokenWorld : IAsyncDisposable
{
    public const string TrustDomain = "cluster.local";

    private readonly FakeSource<ServiceIdentity> _identitySource;
    private readonly FakeSource<V1Secret> _secretSource;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _informers;

    private TokenWorld(FakeSource<ServiceIdentity> identitySource, FakeSource<V1Secret> secretSource, Informer<ServiceIdentity> identities, Informer<V1Secret> secrets)
    {
        (_identitySource, _secretSource, Identities, Secrets) = (identitySource, secretSource, identities, secrets);
        _informers = [identities.RunAsync(_stop.Token), secrets.RunAsync(_stop.Token)];
    }

    public Informer<ServiceIdentity> Identities { get; }
    public Informer<V1Secret> Secrets { get; }
    public StandaloneIssuer Issuer { get; private set; } = null!;
    public JwtSigningKey? Key { get; private set; }
    public SigilMetrics Metrics { get; } = new();
    public CapturedLogs Logs { get; } = new();

    public static async Task<TokenWorld> StartAsync(IEnumerable<ServiceIdentity> identities, IEnumerable<V1Secret> secrets, TokenLimits? limits = null, bool signingKey = true)
    {
        var identitySource = new FakeSource<ServiceIdentity>([.. identities]);
        var secretSource = new FakeSource<V1Secret>([.. secrets]);
        var world = new TokenWorld(identitySource, secretSource,
            new Informer<ServiceIdentity>(identitySource, TimeProvider.System, NullLogger.Instance, CacheTransforms.Slim),
            new Informer<V1Secret>(secretSource, TimeProvider.System, NullLogger.Instance, CacheTransforms.Slim));
        await Task.WhenAll(world.Identities.Synced, world.Secrets.Synced);
        world.Key = signingKey ? JwtSigningKey.Generate(JwtSigningKey.ES256) : null;
        var clients = new InformerTokenClients(world.Identities, world.Secrets, TrustDomain);
        world.Issuer = await StandaloneIssuer.StartAsync(world.Key, clients: clients, limits: limits ?? Unlimited, metrics: world.Metrics,
            logger: world.Logs.CreateLogger("sigil"));
        return world;
    }

    /// <summary>Limits no functional test reaches (the rate-limit tests set their own).</summary>
    public static readonly TokenLimits Unlimited = new(TokensPerClientPerSecond: 1e6, ClientBurst: 1_000_000, RefusalsPerAddressPerSecond: 1e6, RefusalBurst: 1_000_000);

    public static string IdOf(string name, string ns = "shop") => $"spiffe://{TrustDomain}/ns/{ns}/sa/{name}";

    /// <summary>An identity with spec.oauth2.clientSecret (its Secret: &lt;name&gt;-oauth2).</summary>
    public static ServiceIdentity Client(string name, string ns = "shop", string? serviceAccount = null, params AcceptedCaller[] accepts) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString(), Generation = 1 },
        Spec = new ServiceIdentitySpec
        {
            ServiceAccountName = serviceAccount,
            OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec() },
            AcceptsFrom = accepts.Length == 0 ? null : accepts,
        },
    };

    public static ServiceIdentity Receiver(string name, string ns = "shop", params AcceptedCaller[] accepts) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString(), Generation = 1 },
        Spec = new ServiceIdentitySpec { AcceptsFrom = accepts },
    };

    public static AcceptedCaller From(string serviceIdentity, params string[] scopes) =>
        new() { ServiceIdentity = serviceIdentity, Scopes = scopes.Length == 0 ? null : scopes };

    public static AcceptedCaller FromId(string spiffeId, params string[] scopes) =>
        new() { SpiffeId = spiffeId, Scopes = scopes.Length == 0 ? null : scopes };

    /// <summary>The &lt;name&gt;-oauth2 Secret as the OAuth2 credential writes it: labels, and the verifier annotation (no secret in it).</summary>
    public static V1Secret SecretOf(ServiceIdentity client, params ClientSecretVerifier[] verifiers) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = client.Metadata.Name + "-oauth2",
            NamespaceProperty = client.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string> { [Labels.ManagedBy] = Labels.ManagedByValue, [Labels.Identity] = client.Metadata.Name },
            OwnerReferences = [new V1OwnerReference { ApiVersion = "sigil.dev/v1alpha1", Kind = "ServiceIdentity", Name = client.Metadata.Name, Uid = client.Metadata.Uid }],
            Annotations = new Dictionary<string, string> { [ClientSecretVerifiers.Annotation] = ClientSecretVerifiers.Format(verifiers) },
        },
        Type = "Opaque",
    };

    public static string NewSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>Replaces a Secret in the cache, as a watch event would, and waits until the cache holds it.</summary>
    public async Task UpdateSecretAsync(V1Secret secret)
    {
        _secretSource.Send(WatchEventType.Modified, secret);
        var expected = secret.Metadata.Annotations[ClientSecretVerifiers.Annotation];
        await Eventually.TrueAsync(() => Task.FromResult(
            Secrets.Get(secret.Metadata.NamespaceProperty, secret.Metadata.Name)?.Metadata.Annotations is { } a && a.TryGetValue(ClientSecretVerifiers.Annotation, out var v) && v == expected));
    }

    public HttpClient Http() => Issuer.Client();

    /// <summary>POSTs the form; with <paramref name="basic"/>, as client_secret_basic with both parts form-urlencoded (RFC 6749 2.3.1).</summary>
    public async Task<Answer> PostAsync(IEnumerable<(string Name, string Value)> form, (string Id, string Secret)? basic = null, HttpClient? http = null)
    {
        using var own = http is null ? Http() : null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Name, p.Value))),
        };
        if (basic is { } b)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicCredentials(b.Id, b.Secret));
        }
        using var response = await (http ?? own!).SendAsync(request);
        return await Answer.ReadAsync(response);
    }

    public static string BasicCredentials(string id, string secret) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}"));

    public async ValueTask DisposeAsync()
    {
        await Issuer.DisposeAsync();
        await _stop.CancelAsync();
        await Task.WhenAll(_informers);
        Key?.Dispose();
    }
}

/// <summary>One answer of the token endpoint, read: status, the headers tests look at, and the JSON body.</summary>
internal sealed record Answer(System.Net.HttpStatusCode Status, JsonElement Body, string? CacheControl, string? WwwAuthenticate, string? RetryAfter, string? ContentType)
{
    public string? Error => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetString() : null;
    public string? Description => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error_description", out var e) ? e.GetString() : null;
    public string? AccessToken => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("access_token", out var t) ? t.GetString() : null;

    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new Answer(response.StatusCode, body, response.Headers.CacheControl?.ToString(), response.Headers.WwwAuthenticate.FirstOrDefault()?.ToString(),
            response.Headers.RetryAfter?.ToString(), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The token's payload, decoded without verifying (the interop tests verify with jose and Microsoft.IdentityModel).</summary>
    public JsonElement Claims() => JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(AccessToken!.Split('.')[1])).RootElement.Clone();

    public JsonElement Header() => JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(AccessToken!.Split('.')[0])).RootElement.Clone();
}
