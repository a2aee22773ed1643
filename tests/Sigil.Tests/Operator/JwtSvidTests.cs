using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sigil.Api;
using Sigil.Credentials.Jwt;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Operator;

/// <summary>
/// JWT-SVIDs end to end, through what a pod and kubectl see: the &lt;name&gt;-jwt Secret, verified by jose and
/// Microsoft.IdentityModel against the namespace's sigil-trust-bundle jwks.json; consent; conflicts; renewal on a simulated clock.
/// </summary>
public sealed class JwtSvidTests
{
    private const string Vault = "https://vault.example.com";

    private static ServiceIdentity Caller(string name, string? ttl = null, string? secretName = null, params (string Name, string Audience)[] audiences) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            Jwt = new JwtSpec { Ttl = ttl, SecretName = secretName, Audiences = [.. audiences.Select(a => new JwtAudienceSpec { Name = a.Name, Audience = a.Audience })] },
        },
    };

    private static async Task<string> JwksAsync(TestCluster cluster, string ns) =>
        (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns)).Data["jwks.json"];

    private static string Token(V1Secret secret, string key) => OperatorUnderTest.Text(secret, key);

    [Fact]
    public async Task An_identity_with_spec_jwt_gets_a_Secret_whose_tokens_jose_and_IdentityModel_verify_against_the_namespaces_jwks_json()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var issuer = op.Host!.IssuerUrl!;
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));

        await op.CreateAsync(ns, Caller("payments", null, null, ("orders", "orders"), ("vault", Vault)));
        var payments = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 2 });
        var secret = (await op.SecretAsync(ns, "payments-jwt"))!;
        var jwks = await JwksAsync(cluster, ns);
        var ordersAud = $"spiffe://cluster.local/ns/{ns}/sa/orders";
        var sub = $"spiffe://cluster.local/ns/{ns}/sa/payments";

        Assert.Equal("Opaque", secret.Type);
        Assert.Equal(["orders.jwt", "vault.jwt"], secret.Data.Keys.Order());
        var jose = await JwtConsumers.JoseAsync(jwks, issuer, (Token(secret, "orders.jwt"), ordersAud), (Token(secret, "vault.jwt"), Vault));
        foreach (var (verified, aud, status) in jose.Zip([ordersAud, Vault], payments.Status!.Jwt!.Audiences!))
        {
            Assert.True(verified.Ok, verified.Error);
            Assert.Equal(["alg", "kid", "typ"], verified.HeaderMembers);
            Assert.Equal(("ES256", "JWT", payments.Status.Jwt.KeyId), (verified.Alg, verified.Typ, verified.Kid));
            Assert.Equal(["aud", "exp", "iat", "iss", "sub"], verified.Claims);
            Assert.Equal((sub, aud), (verified.Sub, verified.Aud));
            Assert.Equal(status.ExpiresAt!.Value.ToUnixTimeSeconds(), verified.Exp);
            Assert.Equal(3600L, verified.Exp - verified.Iat);
        }
        var identityModel = await JwtConsumers.IdentityModelAsync(jwks, issuer, Token(secret, "orders.jwt"), ordersAud);
        Assert.True(identityModel.Ok, identityModel.Error);
        Assert.Equal((sub, ordersAud, payments.Status.Jwt.KeyId), (identityModel.Sub, identityModel.Aud, identityModel.Kid));
        Assert.True((await JwtConsumers.IdentityModelAsync(jwks, issuer, Token(secret, "vault.jwt"), Vault)).Ok);
        Assert.False((await JwtConsumers.IdentityModelAsync(jwks, issuer, Token(secret, "vault.jwt"), ordersAud)).Ok);
        Assert.Equal("payments-jwt", payments.Status.Jwt.SecretName);
        Assert.Equal(payments.Status.Jwt.NextRotationTime, payments.Status.NextRotationTime);
        Assert.InRange(payments.Status.Jwt.NextRotationTime!.Value, payments.Status.Jwt.Audiences![0].ExpiresAt!.Value - TimeSpan.FromMinutes(36),
            payments.Status.Jwt.Audiences[0].ExpiresAt!.Value - TimeSpan.FromMinutes(30));
    }

    [Fact]
    public async Task Kubectl_apply_of_the_JWT_example_gives_payments_jwt_whose_tokens_jose_verifies()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        cluster.DeleteNamespaceAtEnd("shop");
        using var kubectl = await Kubectl.ForAsync("1.32", cluster);

        await kubectl.OkAsync("apply", "-f", Path.Combine(Repository.Root, "examples", "04-jwt-svids.yaml"));
        var payments = await op.WaitForAsync("shop", "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 2 } && i.Status.ApiKeys is { Count: 2 });
        var secret = (await op.SecretAsync("shop", "payments-jwt"))!;
        var jose = await JwtConsumers.JoseAsync(await JwksAsync(cluster, "shop"), op.Host!.IssuerUrl!,
            (Token(secret, "orders.jwt"), "spiffe://cluster.local/ns/shop/sa/orders"), (Token(secret, "vault.jwt"), Vault));

        Assert.All(jose, v => Assert.True(v.Ok, v.Error));
        Assert.All(jose, v => Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", v.Sub));
        Assert.NotNull(payments.Status!.X509);
    }

    [Fact]
    public async Task Issuance_shows_in_metrics_and_one_Issued_event_and_the_series_go_with_the_identity()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        using var http = new HttpClient();

        await op.CreateAsync(ns, Caller("payments", null, null, ("vault", Vault)));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 1 });
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{op.Host!.MetricsPort}/metrics");
        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items.Count > 0);
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items;
        var token = Token((await op.SecretAsync(ns, "payments-jwt"))!, "vault.jwt");
        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, "payments");
        var renewalSeries = $"sigil_jwt_renewal_timestamp_seconds{{namespace=\"{ns}\",name=\"payments\"}}";
        await Eventually.TrueAsync(async () => !(await http.GetStringAsync($"http://127.0.0.1:{op.Host.MetricsPort}/metrics")).Contains(renewalSeries, StringComparison.Ordinal),
            because: "the deleted identity's JWT renewal series is still exported");

        Assert.Contains($"sigil_rotations_total{{namespace=\"{ns}\",name=\"payments\",kind=\"jwt\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains(renewalSeries, metrics, StringComparison.Ordinal);
        var issued = Assert.Single(events, e => e.Reason == Reasons.Issued);
        Assert.Contains("JWT-SVIDs for vault", issued.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], string.Join("\n", events.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], op.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_that_adds_the_caller_to_acceptsFrom_gets_its_token_issued_without_touching_the_other_audiences_token()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "billing"));

        await op.CreateAsync(ns, Caller("payments", null, null, ("orders", "orders"), ("vault", Vault)));
        var refused = await op.WaitForAsync(ns, "payments", Reasons.NotAccepted, i => i.Status?.Jwt?.Audiences is { Count: 1 });
        var before = (await op.SecretAsync(ns, "payments-jwt"))!;
        await op.PatchAsync(ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"billing"},{"serviceIdentity":"payments"}]}}""");
        var accepted = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 2 });
        var after = (await op.SecretAsync(ns, "payments-jwt"))!;

        Assert.Contains($"{ns}/orders does not accept this identity: add {{serviceIdentity: payments}} to its spec.acceptsFrom",
            refused.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Equal(["vault.jwt"], before.Data.Keys);
        Assert.Equal(["orders.jwt", "vault.jwt"], after.Data.Keys.Order());
        Assert.Equal(Token(before, "vault.jwt"), Token(after, "vault.jwt"));
        var verified = Assert.Single(await JwtConsumers.JoseAsync(await JwksAsync(cluster, ns), op.Host!.IssuerUrl!,
            (Token(after, "orders.jwt"), $"spiffe://cluster.local/ns/{ns}/sa/orders")));
        Assert.True(verified.Ok, verified.Error);
        Assert.Equal(["orders", "vault"], accepted.Status!.Jwt!.Audiences!.Select(a => a.Name));
    }

    [Fact]
    public async Task An_identity_of_another_namespace_naming_a_receiver_by_name_waits_and_never_holds_a_token_for_it()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var shop = await cluster.CreateNamespaceAsync("shop");
        var evil = await cluster.CreateNamespaceAsync("evil");
        // orders even accepts a "thief" of its own namespace: a name in acceptsFrom never reaches another namespace.
        await op.CreateAsync(shop, OperatorUnderTest.Receiver("orders", "thief"));

        await op.CreateAsync(evil, Caller("thief", null, null, ("orders", "orders"), ("vault", Vault)));
        var thief = await op.WaitForAsync(evil, "thief", Reasons.Pending, i => i.Status?.Jwt?.Audiences is { Count: 1 });
        var secret = (await op.SecretAsync(evil, "thief-jwt"))!;

        Assert.Contains($"no ServiceIdentity \"orders\" in namespace {evil} yet", thief.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Equal(["vault.jwt"], secret.Data.Keys);
        Assert.Equal(Vault, JwtSecretReader.Parse(secret.Data["vault.jwt"])!.Audience);
    }

    [Fact]
    public async Task A_second_identity_naming_the_first_ones_JWT_Secret_is_a_SecretConflict_and_writes_nothing_into_it()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Caller("payments", null, null, ("vault", Vault)));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 1 });

        await op.CreateAsync(ns, Caller("thief", null, "payments-jwt", ("vault", Vault), ("other", "https://other.example.com")));
        var thief = await op.WaitForAsync(ns, "thief", Reasons.SecretConflict);
        var secret = (await op.SecretAsync(ns, "payments-jwt"))!;

        Assert.Contains("spec.jwt.secretName \"payments-jwt\" is already spec.jwt.secretName of ServiceIdentity payments", thief.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Equal(["vault.jwt"], secret.Data.Keys);
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", JwtSecretReader.Parse(secret.Data["vault.jwt"])!.Subject);
        Assert.Null(thief.Status.Jwt);
    }

    [Fact]
    public async Task One_kinds_problem_never_stops_another_a_foreign_SVID_Secret_leaves_the_JWT_SVIDs_issued_and_a_refused_audience_leaves_the_certificate()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-svid" },
            StringData = new Dictionary<string, string> { ["mine"] = "keep" },
        }, ns);
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders"));
        var payments = Caller("payments", null, null, ("vault", Vault));
        payments.Spec.X509 = new X509Spec();
        var billing = Caller("billing", null, null, ("orders", "orders"), ("vault", Vault));
        billing.Spec.X509 = new X509Spec();

        await op.CreateAsync(ns, payments);
        await op.CreateAsync(ns, billing);
        var conflicted = await op.WaitForAsync(ns, "payments", Reasons.SecretConflict, i => i.Status?.Jwt?.Audiences is { Count: 1 });
        var refused = await op.WaitForAsync(ns, "billing", Reasons.NotAccepted, i => i.Status?.Jwt?.Audiences is { Count: 1 } && i.Status.X509 is not null);

        Assert.Equal(["vault.jwt"], (await op.SecretAsync(ns, "payments-jwt"))!.Data.Keys);
        Assert.Equal(["mine"], (await op.SecretAsync(ns, "payments-svid"))!.Data.Keys);
        Assert.Null(conflicted.Status!.X509);
        Assert.NotNull((await op.SecretAsync(ns, "billing-svid"))!.Data["tls.crt"]);
        Assert.Equal(["vault.jwt"], (await op.SecretAsync(ns, "billing-jwt"))!.Data.Keys);
        Assert.Equal(new[] { refused.Status!.X509!.RenewalTime, refused.Status.Jwt!.NextRotationTime }.Min(), refused.Status.NextRotationTime);
    }

    [Fact]
    public async Task On_a_simulated_clock_tokens_renew_within_the_jitter_window_before_half_their_ttl_never_later_and_cost_no_events()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var step = TimeSpan.FromSeconds(20);
        var ttl = TimeSpan.FromMinutes(10);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.Zero }, time: time);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Caller("payments", "10m", null, ("vault", Vault)));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 1 });
        var jitter = Sigil.Credentials.X509.RenewalSchedule.Fraction($"{ns}/payments");

        var tokens = new List<StoredToken> { JwtSecretReader.Parse((await op.SecretAsync(ns, "payments-jwt"))!.Data["vault.jwt"])! };
        var problems = new List<string>();
        var start = time.GetUtcNow();
        while (time.GetUtcNow() < start + TimeSpan.FromMinutes(32))
        {
            time.Advance(step);
            await SimulatedTime.SettleAsync(op.Host!, local);
            var now = time.GetUtcNow();
            var current = JwtSecretReader.Parse((await op.SecretAsync(ns, "payments-jwt"))!.Data["vault.jwt"])!;
            var previous = tokens[^1];
            if (current != previous)
            {
                tokens.Add(current);
                if (current.IssuedAt < previous.IssuedAt + ttl / 2 - ttl / 10 - TimeSpan.FromSeconds(1))
                {
                    problems.Add($"renewed at {current.IssuedAt:u}, before the window that opens at {previous.IssuedAt + ttl / 2 - ttl / 10:u}");
                }
            }
            else if (now >= previous.IssuedAt + ttl / 2)
            {
                problems.Add($"at {now:u} the token issued at {previous.IssuedAt:u} was past half its ttl and not renewed");
            }
            var status = (await op.GetAsync(ns, "payments")).Status!;
            if (status.Jwt?.NextRotationTime != JwtRenewalPolicy.RenewalTime(tokens[^1], jitter))
            {
                problems.Add($"at {now:u} status says the next renewal is {status.Jwt?.NextRotationTime:u}, not {JwtRenewalPolicy.RenewalTime(tokens[^1], jitter):u}");
            }
        }
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items;

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // 32 minutes at a renewal every 4 to 5 minutes of a 10m ttl (plus up to a step).
        Assert.InRange(tokens.Count - 1, 6, 8);
        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.NotEqual(pair.First.IssuedAt, pair.Second.IssuedAt));
        Assert.Equal([Reasons.Issued], events.Select(e => e.Reason));
    }
}
