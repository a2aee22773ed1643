using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.OAuth2;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Operator;

/// <summary>
/// spec.oauth2.clientSecret end to end: the &lt;name&gt;-oauth2 Secret an OAuth 2.0 client library reads, and the verifier
/// annotation the token endpoint answers from, through a rotation seen as every version of the Secret.
/// </summary>
public sealed class OAuth2ClientSecretTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private static ServiceIdentity Client(string name, string every = "720h", string grace = "24h", X509Spec? x509 = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            X509 = x509,
            OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = every, GracePeriod = grace } } },
        },
    };

    private static string Presented(V1Secret secret) => Encoding.UTF8.GetString(secret.Data["client-secret"]);

    private static IReadOnlyList<ClientSecretVerifier> Verifiers(V1Secret secret) => ClientSecretVerifiers.From(secret.Metadata.Annotations);

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_client_gets_a_Secret_with_its_SPIFFE_ID_as_client_id_a_fresh_secret_and_the_token_endpoint_URL(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, Client("payments"));
        var identity = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        var secret = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var clientSecret = Presented(secret);

        Assert.Equal("Opaque", secret.Type);
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", OperatorUnderTest.Text(secret, "client-id"));
        Assert.Equal(op.Host!.IssuerUrl + "/oauth2/token", OperatorUnderTest.Text(secret, "token-endpoint"));
        Assert.StartsWith("https://", OperatorUnderTest.Text(secret, "token-endpoint"), StringComparison.Ordinal);
        Assert.Equal(["client-id", "client-secret", "token-endpoint"], secret.Data.Keys.Order(StringComparer.Ordinal));
        Assert.True(clientSecret.Length >= 32, $"a client secret of {clientSecret.Length} characters");
        Assert.True(ClientSecretVerifiers.Accepts(Verifiers(secret), clientSecret, DateTimeOffset.UtcNow), "the token endpoint would refuse the secret the Secret presents");
        var entry = Assert.Single(Verifiers(secret));
        Assert.Null(entry.NotAfter);
        Assert.Equal("sigil", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("payments", Assert.Single(secret.Metadata.OwnerReferences).Name);

        var status = identity.Status!.OAuth2!;
        Assert.Equal("payments-oauth2", status.SecretName);
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", status.ClientId);
        Assert.Equal(entry.KeyId, status.CurrentKeyId);
        Assert.NotNull(status.NextRotationTime);
        Assert.Equal(status.NextRotationTime, identity.Status.NextRotationTime);
        Assert.True(status.NextRotationTime > DateTimeOffset.UtcNow + TimeSpan.FromHours(719), $"next rotation {status.NextRotationTime:O}");
        Assert.Equal(1, op.Host.Metrics.Rotations.WithLabels(ns, "payments", "oauth2").Value);
        Assert.Equal(status.NextRotationTime.Value.ToUnixTimeSeconds(), op.Host.Metrics.ApiKeyNextRotation.WithLabels(ns, "payments", "oauth2", "client-secret").Value);
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items;
        Assert.Contains(events, e => e.Reason == Reasons.Issued && e.Message.Contains(entry.KeyId, StringComparison.Ordinal));
        Assert.DoesNotContain(clientSecret, string.Join("\n", events.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.DoesNotContain(clientSecret, StatusBuilderJson(identity), StringComparison.Ordinal);
        Assert.DoesNotContain(clientSecret, op.Logs.All, StringComparison.Ordinal);
    }

    private static string StatusBuilderJson(ServiceIdentity identity) => KubernetesJson.Serialize(identity.Status);

    [Fact]
    public async Task A_pass_with_nothing_due_writes_nothing_to_the_client_Secret()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Client("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        await op.PassAfterAsync(ns, "payments", () => op.PatchAsync(ns, "payments", """{"metadata":{"labels":{"poke":"settle"}}}"""));
        local.Requests.Clear();
        Assert.Null(await op.SecretAsync(ns, "payments-verifiers"));

        // A spec change that touches no credential makes the operator run a pass over the identity again.
        await op.PatchAsync(ns, "payments", """{"spec":{"acceptsFrom":[{"serviceIdentity":"orders","scopes":["payments.read"]}]}}""");
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ObservedGeneration == 2);
        // And the pass after it, which its own status write starts: an update on every pass would show there.
        await op.PassAfterAsync(ns, "payments", () => op.PatchAsync(ns, "payments", """{"metadata":{"labels":{"poke":"after"}}}"""));

        // An update that changes nothing keeps the resourceVersion, so count the requests instead.
        // (payments-verifiers is written: payments became a receiver.)
        Assert.DoesNotContain(local.Requests.All, r => r.Resource == "secrets" && r.Name == "payments-oauth2" && r.Verb is "update" or "patch");
        Assert.Contains(local.Requests.All, r => r.Resource == "secrets" && r.Verb == "create");
        Assert.NotNull(await op.SecretAsync(ns, "payments-verifiers"));
    }

    [Fact]
    public async Task A_manual_rotation_is_accepted_by_the_endpoint_for_the_propagation_wait_before_it_is_presented_and_the_old_secret_for_its_grace_period()
    {
        var propagation = TimeSpan.FromSeconds(3);
        var grace = TimeSpan.FromSeconds(5);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = propagation });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Client("payments", grace: "5s"));
        var issued = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        var before = Presented((await op.SecretAsync(ns, "payments-oauth2"))!);

        // Every version of the Secret, as an informer cache (the token endpoint's) and a kubelet see them, with when it arrived.
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var versions = new List<(DateTimeOffset At, V1Secret Secret)>();
        var watch = Task.Run(async () =>
        {
            await foreach (var ev in cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/secrets?watch=true&fieldSelector=metadata.name%3Dpayments-oauth2", ct: watching.Token))
            {
                var secret = KubernetesJson.Deserialize<V1Secret>(ev["object"]!.ToJsonString());
                lock (versions)
                {
                    versions.Add((DateTimeOffset.UtcNow, secret));
                }
            }
        });
        await Task.Delay(500);
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"now"}}}""");
        var rotated = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.OAuth2!.CurrentKeyId != issued.Status!.OAuth2!.CurrentKeyId,
            within: TimeSpan.FromSeconds(30));
        var final = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var after = Presented(final);
        var rotatedAt = DateTimeOffset.Parse(final.Metadata.Annotations["sigil.dev/rotated-at"], CultureInfo.InvariantCulture);

        // The previous secret: accepted until rotated-at + grace, and not after, by whatever the Secret holds at the time.
        var samples = 0;
        while (DateTimeOffset.UtcNow < rotatedAt + grace + TimeSpan.FromSeconds(2))
        {
            var current = (await op.SecretAsync(ns, "payments-oauth2"))!;
            var now = DateTimeOffset.UtcNow;
            Assert.True(ClientSecretVerifiers.Accepts(Verifiers(current), after, now), $"the current secret was refused at {now:O}");
            Assert.True((now < rotatedAt + grace) == ClientSecretVerifiers.Accepts(Verifiers(current), before, now),
                $"at {now:O} the previous secret was {(now < rotatedAt + grace ? "refused within" : "accepted after")} its grace period (rotated at {rotatedAt:O}, grace {grace})");
            samples++;
            await Task.Delay(250);
        }
        await Eventually.TrueAsync(async () => Verifiers((await op.SecretAsync(ns, "payments-oauth2"))!).Count == 1, TimeSpan.FromSeconds(10),
            "the previous secret never left the annotation");
        await watching.CancelAsync();
        await watch;

        Assert.True(samples >= 10, $"only {samples} samples");
        List<(DateTimeOffset At, V1Secret Secret)> seen;
        lock (versions)
        {
            seen = [.. versions];
        }
        Assert.Contains(seen, v => Presented(v.Secret) == before);
        Assert.Contains(seen, v => Presented(v.Secret) == after);
        foreach (var (at, secret) in seen)
        {
            // Whatever version the endpoint's cache holds accepts what that version presents.
            Assert.True(ClientSecretVerifiers.Accepts(Verifiers(secret), Presented(secret), at), $"version {secret.Metadata.ResourceVersion} presents a secret its annotation refuses");
        }
        var hashSeen = seen.First(v => ClientSecretVerifiers.Accepts(Verifiers(v.Secret), after, v.At)).At;
        var presentedSeen = seen.First(v => Presented(v.Secret) == after).At;
        // Both times are when the watch delivered the version; 100 ms allows for the two deliveries' different latencies.
        Assert.True(presentedSeen - hashSeen >= propagation - TimeSpan.FromMilliseconds(100),
            $"the token endpoint accepted the new secret from {hashSeen:O}, only {presentedSeen - hashSeen} before the Secret presented it at {presentedSeen:O}");
        Assert.True(presentedSeen - hashSeen < propagation + TimeSpan.FromSeconds(5), $"the rotation took {presentedSeen - hashSeen} after the hash was published");
        Assert.False(final.Data.ContainsKey("next-client-secret"));
        Assert.Equal("now", rotated.Status!.LastRotationRequest);
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items;
        Assert.Contains(events, e => e.Reason == Reasons.Rotated && e.Message.Contains(rotated.Status.OAuth2!.CurrentKeyId!, StringComparison.Ordinal));
        Assert.DoesNotContain(after, string.Join("\n", events.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.DoesNotContain(after, op.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(before, op.Logs.All, StringComparison.Ordinal);
    }

    public static TheoryData<string> Steps => ["oauth2-next-accepted", "oauth2-next-staged", "oauth2-promoted"];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task An_operator_stopped_between_rotation_steps_finishes_the_rotation_once_and_never_presents_a_secret_early(string step)
    {
        var propagation = TimeSpan.FromSeconds(4);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = propagation });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, Client("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        var before = Presented((await op.SecretAsync(ns, "payments-oauth2"))!);
        await op.StopAsync();

        // The pass hangs right after the step until the operator is stopped, so nothing after the step runs.
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        op.StepHook = async (at, ct) =>
        {
            if (at == step && crashed.TrySetResult())
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        await op.StartAsync();
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"crash"}}}""");
        await crashed.Task.WaitAsync(TimeSpan.FromSeconds(15) + propagation);
        await op.StopAsync();
        op.StepHook = null;
        var midway = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var waiting = midway.Data.TryGetValue("next-client-secret", out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
        var stagedAt = midway.Metadata.Annotations.TryGetValue("sigil.dev/next-key-staged-at", out var staged)
            ? DateTimeOffset.Parse(staged, CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
        Assert.True(step == "oauth2-promoted" || Presented(midway) == before, "the Secret kept presenting the old secret until promotion");
        Assert.True(ClientSecretVerifiers.Accepts(Verifiers(midway), Presented(midway), DateTimeOffset.UtcNow), "the endpoint would refuse the presented secret");
        Assert.True(waiting is null || ClientSecretVerifiers.Accepts(Verifiers(midway), waiting, DateTimeOffset.UtcNow),
            "a next secret is in the Secret before the endpoint accepts it");
        Assert.Equal(step == "oauth2-next-staged", stagedAt is not null);
        if (stagedAt is not null && stagedAt.Value + TimeSpan.FromSeconds(2) > DateTimeOffset.UtcNow)
        {
            // Stopped inside the wait: stay down for part of it, so a restarted wait would show.
            await Task.Delay(stagedAt.Value + TimeSpan.FromSeconds(2) - DateTimeOffset.UtcNow);
        }
        var restartedAt = DateTimeOffset.UtcNow;
        await op.StartAsync();

        var beforeKeyId = Sigil.Credentials.ApiKeys.ApiKeyMaterial.Parse(before)!.KeyId;
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.OAuth2!.CurrentKeyId is { } id && id != beforeKeyId, within: TimeSpan.FromSeconds(30));
        await Task.Delay(1000);
        var final = (await op.SecretAsync(ns, "payments-oauth2"))!;
        var promotedAt = DateTimeOffset.Parse(final.Metadata.Annotations["sigil.dev/rotated-at"], CultureInfo.InvariantCulture);

        Assert.Equal(waiting ?? Presented(midway), Presented(final));
        Assert.NotEqual(before, Presented(final));
        Assert.Equal(2, Verifiers(final).Count);
        Assert.True(ClientSecretVerifiers.Accepts(Verifiers(final), before, DateTimeOffset.UtcNow), "the previous secret was dropped inside its grace period");
        Assert.False(final.Data.ContainsKey("next-client-secret"));
        if (stagedAt is { } s)
        {
            Assert.True(promotedAt >= s + propagation, $"presented at {promotedAt:O}, before the wait from {s:O} ended");
            Assert.True(promotedAt < restartedAt + propagation, $"presented at {promotedAt:O}: the wait started again at the restart ({restartedAt:O})");
        }
        else if (step != "oauth2-promoted")
        {
            Assert.True(promotedAt >= Timestamps.ToSecond(restartedAt) + propagation, $"presented at {promotedAt:O}, less than {propagation} after the restart at {restartedAt:O}");
        }
    }

    [Fact]
    public async Task A_Secret_Sigil_did_not_create_is_a_SecretConflict_never_overwritten_and_the_certificate_still_issues()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var foreign = await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-oauth2" },
            StringData = new Dictionary<string, string> { ["client-secret"] = "theirs, do not touch" },
        }, ns);

        await op.CreateAsync(ns, Client("payments", x509: new X509Spec()));
        var identity = await op.WaitForAsync(ns, "payments", Reasons.SecretConflict, i => i.Status?.X509 is not null);
        var untouched = (await op.SecretAsync(ns, "payments-oauth2"))!;

        Assert.Contains("Secret payments-oauth2 exists and was not created by Sigil", identity.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Contains("spec.oauth2.clientSecret.secretName", identity.Status.Conditions[0].Message, StringComparison.Ordinal);
        Assert.Equal(foreign.Metadata.ResourceVersion, untouched.Metadata.ResourceVersion);
        Assert.Equal("theirs, do not touch", OperatorUnderTest.Text(untouched, "client-secret"));
        Assert.NotNull(await op.SecretAsync(ns, "payments-svid"));

        await cluster.Client.CoreV1.DeleteNamespacedSecretAsync("payments-oauth2", ns);
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"nudge":"1"}}}""");
        var freed = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2?.CurrentKeyId is not null);
        Assert.Equal("payments-oauth2", freed.Status!.OAuth2!.SecretName);
    }

    [Fact]
    public async Task An_oauth2_block_without_clientSecret_writes_no_Secret_and_shows_the_client_id()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "payments" },
            Spec = new ServiceIdentitySpec { X509 = new X509Spec(), OAuth2 = new OAuth2Spec() },
        });
        var identity = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.OAuth2 is not null && i.Status.X509 is not null);

        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", identity.Status!.OAuth2!.ClientId);
        Assert.Null(identity.Status.OAuth2.SecretName);
        Assert.Null(identity.Status.OAuth2.CurrentKeyId);
        Assert.Null(await op.SecretAsync(ns, "payments-oauth2"));
        Assert.Contains("X.509-SVID", identity.Status.Conditions![0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_rotation_rule_is_InvalidSpec_naming_the_field_and_the_certificate_still_issues()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var identity = Client("payments", x509: new X509Spec());
        identity.Spec.OAuth2!.ClientSecret!.Rotation = new RotationSpec { Schedule = "at noon" };

        await op.CreateAsync(ns, identity);
        var bad = await op.WaitForAsync(ns, "payments", Reasons.InvalidSpec, i => i.Status?.X509 is not null);

        Assert.Contains("spec.oauth2.clientSecret.rotation.schedule \"at noon\" is not a five-field cron expression", bad.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Null(await op.SecretAsync(ns, "payments-oauth2"));
        Assert.NotNull(await op.SecretAsync(ns, "payments-svid"));
    }
}
