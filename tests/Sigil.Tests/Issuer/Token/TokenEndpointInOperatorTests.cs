using System.Net;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Sigil.Api;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer.Token;

/// <summary>
/// The token endpoint inside the running operator: clients read the &lt;name&gt;-oauth2 Secret the operator writes and trade
/// it for access tokens, answered from the informer caches, through a client-secret rotation.
/// </summary>
public sealed class TokenEndpointInOperatorTests
{
    private static ServiceIdentity Client(string name, string grace) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h", GracePeriod = grace } } },
        },
    };

    private static ServiceIdentity Receiver(string name, string caller, params string[] scopes) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec { AcceptsFrom = [new AcceptedCaller { ServiceIdentity = caller, Scopes = scopes }] },
    };

    private static async Task<(HttpStatusCode Status, string? Error, string? Token)> RequestAsync(HttpClient http, string endpoint, V1Secret secret)
    {
        var id = OperatorUnderTest.Text(secret, "client-id");
        var clientSecret = OperatorUnderTest.Text(secret, "client-secret");
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("audience", "orders")]),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(clientSecret)}")));
        using var response = await http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode, body.TryGetProperty("error", out var e) ? e.GetString() : null,
            body.TryGetProperty("access_token", out var t) ? t.GetString() : null);
    }

    [Fact]
    public async Task A_client_requesting_tokens_in_a_loop_through_a_client_secret_rotation_is_never_refused()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.FromSeconds(2) });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Receiver("orders", "payments", "orders.read"));
        await op.CreateAsync(ns, Client("payments", grace: "3s"));
        var issued = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        var first = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var endpoint = OperatorUnderTest.Text(first, "token-endpoint");
        using var http = new HttpClient(StandaloneIssuer.TrustingHandler(op.Host!.Trust!.BundlePem));

        var answers = new List<(HttpStatusCode Status, string? Error, string? Token)>();
        var rotated = false;
        var until = DateTimeOffset.MaxValue;
        while (DateTimeOffset.UtcNow < until)
        {
            // Each time the Secret as it is now, as a client re-reading its mounted file would present it.
            var secret = (await op.SecretAsync(ns, "payments-oauth2"))!;
            answers.Add(await RequestAsync(http, endpoint, secret));
            if (answers.Count == 5)
            {
                await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"loop"}}}""");
            }
            if (!rotated && answers.Count > 5 && (await op.GetAsync(ns, "payments")).Status?.OAuth2?.CurrentKeyId != issued.Status!.OAuth2!.CurrentKeyId)
            {
                // Past the rotation and the old secret's grace period, with a margin.
                rotated = true;
                until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            }
            Assert.True(answers.Count < 2000, "the rotation never completed");
            await Task.Delay(50);
        }
        var last = (await op.SecretAsync(ns, "payments-oauth2"))!;

        Assert.True(rotated);
        Assert.NotEqual(OperatorUnderTest.Text(first, "client-secret"), OperatorUnderTest.Text(last, "client-secret"));
        Assert.True(answers.Count > 20, $"only {answers.Count} requests");
        Assert.Empty(answers.Where(a => a.Status != HttpStatusCode.OK).Select(a => $"{(int)a.Status} {a.Error}"));
        Assert.Equal(0, op.Host.Metrics.TokenErrors.WithLabels("invalid_client").Value);
        Assert.Equal(answers.Count, op.Host.Metrics.TokensIssued.WithLabels("client_secret_basic").Value);
        // The old secret is refused once its grace period is over.
        var stale = await RequestAsync(http, endpoint, first);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_client"), (stale.Status, stale.Error));
        Assert.DoesNotContain(OperatorUnderTest.Text(last, "client-secret"), op.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(answers[^1].Token!, op.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_operators_token_endpoint_issues_tokens_jose_verifies_with_the_receivers_SPIFFE_ID_and_scopes()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Receiver("orders", "payments", "orders.read", "orders.write"));
        await op.CreateAsync(ns, Client("payments", grace: "1h"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        var secret = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(op.Host!.Trust!.BundlePem), "ca.crt");

        // The issue's "Done when", as a user types it.
        var curl = await ProcessRunner.RunAsync("curl", ["-sS", "--cacert", bundle,
            "--data-urlencode", "grant_type=client_credentials", "--data-urlencode", $"client_id={OperatorUnderTest.Text(secret, "client-id")}",
            "--data-urlencode", $"client_secret={OperatorUnderTest.Text(secret, "client-secret")}", "-d", "audience=orders", OperatorUnderTest.Text(secret, "token-endpoint")]);
        Assert.True(curl.ExitCode == 0, curl.Stderr);
        var token = JsonDocument.Parse(curl.Stdout).RootElement.GetProperty("access_token").GetString()!;
        var verified = await JwtConsumers.JoseAccessTokenAsync(op.Host.Trust.Jwks, op.Host.IssuerUrl!, token, $"spiffe://cluster.local/ns/{ns}/sa/orders");

        Assert.True(verified.Ok, verified.Error);
        Assert.Equal("at+jwt", verified.Typ);
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", verified.Sub);
        Assert.Equal("orders.read orders.write", verified.Scope);
    }
}
