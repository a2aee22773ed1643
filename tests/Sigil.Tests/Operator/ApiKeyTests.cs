using System.Text;
using k8s;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Tests.Support;

namespace Sigil.Tests.Operator;

/// <summary>API keys end to end through what kubectl shows: caller Secrets, keys.json, status, consent, rotation, restarts.</summary>
public sealed class ApiKeyTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    /// <summary>orders accepts payments; payments holds one key for orders, issued and in orders' keys.json.</summary>
    private static async Task<ServiceIdentity> PaymentsCallsOrdersAsync(OperatorUnderTest op, string ns, ServiceIdentity payments)
    {
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.CreateAsync(ns, payments);
        return await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
    }

    private static ApiKeyMaterial Presented(k8s.Models.V1Secret secret) => ApiKeyMaterial.Parse(OperatorUnderTest.Text(secret, "api-key"))!;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_caller_holds_a_key_that_the_accepting_receivers_keys_json_verifies(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        var caller = await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", "orders"));
        var secret = (await op.SecretAsync(ns, "payments-k-apikey"))!;
        var verifier = await op.VerifierAsync(ns, "orders");

        var key = Presented(secret);
        var entry = Assert.Single(verifier);
        Assert.Equal(key.KeyId, OperatorUnderTest.Text(secret, "key-id"));
        Assert.Equal(key.KeyId, entry.KeyId);
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", entry.Caller);
        Assert.Equal(ApiKeyMaterial.Sha256Hex(OperatorUnderTest.Text(secret, "api-key")), entry.Sha256);
        Assert.Null(entry.Secret);
        Assert.DoesNotContain(OperatorUnderTest.Text(secret, "api-key"), Encoding.UTF8.GetString((await op.SecretAsync(ns, "orders-verifiers"))!.Data["keys.json"]), StringComparison.Ordinal);
        Assert.False(secret.Data.ContainsKey("next-api-key"));
        Assert.Equal(key.KeyId, caller.Status!.ApiKeys![0].CurrentKeyId);
        Assert.Equal(caller.Status.ApiKeys[0].NextRotationTime, caller.Status.NextRotationTime);
    }

    [Fact]
    public async Task An_HMAC_key_gives_the_caller_its_signing_secret_and_the_receiver_the_same_secret()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", "orders", type: "HMACSHA256"));
        var secret = (await op.SecretAsync(ns, "payments-k-apikey"))!;
        var entry = Assert.Single(await op.VerifierAsync(ns, "orders"));

        Assert.Equal("HMACSHA256", entry.Type);
        Assert.Equal(OperatorUnderTest.Text(secret, "hmac-secret"), entry.Secret);
        Assert.Null(entry.Sha256);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_caller_in_another_namespace_is_accepted_by_SPIFFE_ID_and_one_not_accepted_is_told_who_must_add_whom(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var shop = await cluster.CreateNamespaceAsync("shop");
        var web = await cluster.CreateNamespaceAsync("web");
        await op.CreateAsync(shop, OperatorUnderTest.Receiver("orders", $"spiffe://cluster.local/ns/{web}/sa/frontend"));

        await op.CreateAsync(web, OperatorUnderTest.Caller("frontend", $"spiffe://cluster.local/ns/{shop}/sa/orders"));
        await op.CreateAsync(web, OperatorUnderTest.Caller("stranger", $"spiffe://cluster.local/ns/{shop}/sa/orders"));
        await op.WaitForAsync(web, "frontend", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        var stranger = await op.WaitForAsync(web, "stranger", Reasons.NotAccepted);
        var verifier = await op.VerifierAsync(shop, "orders");

        Assert.Equal([$"spiffe://cluster.local/ns/{web}/sa/frontend"], verifier.Select(e => e.Caller));
        Assert.Contains($"{shop}/orders does not accept this identity: add {{spiffeID: spiffe://cluster.local/ns/{web}/sa/stranger}} to its spec.acceptsFrom",
            stranger.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.NotNull(await op.SecretAsync(web, "stranger-k-apikey"));
    }

    [Fact]
    public async Task A_caller_created_before_its_receiver_is_Pending_and_gets_its_key_once_the_receiver_exists()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Caller("payments", "orders"));
        var waiting = await op.WaitForAsync(ns, "payments", Reasons.Pending);
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });

        Assert.Equal("False", waiting.Status!.Conditions![0].Status);
        Assert.Contains("no ServiceIdentity \"orders\"", waiting.Status.Conditions[0].Message, StringComparison.Ordinal);
        Assert.Single(await op.VerifierAsync(ns, "orders"));
    }

    [Fact]
    public async Task Removing_a_caller_from_acceptsFrom_removes_its_keys_and_adding_it_back_restores_them()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", "orders"));

        await op.PatchAsync(ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"someone-else"}]}}""");
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 0);
        await op.WaitForAsync(ns, "payments", Reasons.NotAccepted);
        await op.PatchAsync(ns, "orders", """{"spec":{"acceptsFrom":[{"serviceIdentity":"payments"}]}}""");

        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 1);
    }

    [Fact]
    public async Task Deleting_a_caller_or_pointing_its_key_elsewhere_removes_its_keys_from_the_verifier()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments", "billing"));
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("invoices", "payments"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("payments", "orders"));
        await op.CreateAsync(ns, OperatorUnderTest.Caller("billing", "orders"));
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 2);

        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, "billing");
        await op.PatchAsync(ns, "payments", """{"spec":{"apiKeys":[{"name":"k","audience":"invoices","rotation":{"every":"720h"}}]}}""");

        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 0, because: "orders still holds keys of a deleted or retargeted caller");
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "invoices")).Count == 1);
    }

    [Fact]
    public async Task A_manual_rotation_keeps_the_old_key_in_keys_json_for_its_grace_period_and_wiping_status_does_not_rotate_again()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", "orders", grace: "3s"));
        var before = Presented((await op.SecretAsync(ns, "payments-k-apikey"))!);

        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"now"}}}""");
        var rotated = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.ApiKeys![0].CurrentKeyId != before.KeyId);
        var during = await op.VerifierAsync(ns, "orders");
        var after = Presented((await op.SecretAsync(ns, "payments-k-apikey"))!);

        Assert.Equal(2, during.Count);
        Assert.NotNull(during.Single(e => e.KeyId == before.KeyId).NotAfter);
        Assert.Null(during.Single(e => e.KeyId == after.KeyId).NotAfter);
        Assert.Equal(2, rotated.Status!.ApiKeys![0].ActiveKeyIds!.Count);
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 1, TimeSpan.FromSeconds(15), "the old key never left keys.json");
        Assert.Equal(after.KeyId, Assert.Single(await op.VerifierAsync(ns, "orders")).KeyId);

        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new k8s.Models.V1Patch("""[{"op":"remove","path":"/status"}]""", k8s.Models.V1Patch.PatchType.JsonPatch),
            ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, "payments");
        var restored = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        Assert.Equal(after.KeyId, restored.Status!.ApiKeys![0].CurrentKeyId);
        Assert.Equal(after.KeyId, Presented((await op.SecretAsync(ns, "payments-k-apikey"))!).KeyId);
    }

    public static TheoryData<string> Steps => ["next-key-stored", "verifiers-updated", "next-key-staged", "promoted"];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task An_operator_stopped_between_rotation_steps_finishes_the_rotation_once_after_restart(string step)
    {
        var propagation = TimeSpan.FromSeconds(5);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new Sigil.Operator.OperatorOptions { BundlePropagation = propagation });
        var ns = await cluster.CreateNamespaceAsync();
        await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", "orders"));
        var before = Presented((await op.SecretAsync(ns, "payments-k-apikey"))!);
        await op.StopAsync();

        // The "crash": the pass hangs right after the step until the operator is stopped, so nothing after
        // the step runs (a hook that threw would let the retry finish the rotation before the stop).
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
        var midwaySecret = (await op.SecretAsync(ns, "payments-k-apikey"))!;
        var midway = Presented(midwaySecret);
        var waiting = midwaySecret.Data.TryGetValue("next-api-key", out var nextKey) ? ApiKeyMaterial.Parse(Encoding.UTF8.GetString(nextKey)) : null;
        var stagedAt = midwaySecret.Metadata.Annotations.TryGetValue("sigil.dev/next-key-staged-at", out var staged) ? DateTimeOffset.Parse(staged, System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
        Assert.True(step == "promoted" || midway.KeyId == before.KeyId, "the caller kept presenting the old key until promotion");
        Assert.Contains(await op.VerifierAsync(ns, "orders"), e => e.KeyId == midway.KeyId);
        Assert.True(step is not ("verifiers-updated" or "next-key-staged") || (await op.VerifierAsync(ns, "orders")).Any(e => e.KeyId == waiting?.KeyId),
            "the next key is in keys.json from the verifiers step on");
        Assert.Equal(step == "next-key-staged", stagedAt is not null);
        if (stagedAt is not null)
        {
            // Stopped inside the wait: stay down for part of it, so a restarted wait would show.
            var downUntil = stagedAt.Value + TimeSpan.FromSeconds(2);
            if (downUntil > DateTimeOffset.UtcNow)
            {
                await Task.Delay(downUntil - DateTimeOffset.UtcNow);
            }
        }
        var restartedAt = DateTimeOffset.UtcNow;
        await op.StartAsync();

        var done = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.ApiKeys![0].CurrentKeyId != before.KeyId);
        await Task.Delay(1000);
        var finalSecret = (await op.SecretAsync(ns, "payments-k-apikey"))!;
        var final = Presented(finalSecret);
        var promotedAt = DateTimeOffset.Parse(finalSecret.Metadata.Annotations["sigil.dev/rotated-at"], System.Globalization.CultureInfo.InvariantCulture);
        var verifier = await op.VerifierAsync(ns, "orders");

        Assert.Equal(done.Status!.ApiKeys![0].CurrentKeyId, final.KeyId);
        Assert.Equal((waiting ?? midway).KeyId, final.KeyId);
        Assert.Equal(2, verifier.Count);
        Assert.Contains(verifier, e => e.KeyId == before.KeyId && e.NotAfter is not null);
        Assert.Contains(verifier, e => e.KeyId == final.KeyId && e.Sha256 == final.PresentedSha256 && e.NotAfter is null);
        Assert.False(finalSecret.Data.ContainsKey("next-api-key"));
        Assert.False(finalSecret.Metadata.Annotations.ContainsKey("sigil.dev/next-key-staged-at"));
        if (stagedAt is { } s)
        {
            Assert.True(promotedAt >= s + propagation, $"presented at {promotedAt:O}, before the wait from {s:O} ended");
            Assert.True(promotedAt < restartedAt + propagation, $"presented at {promotedAt:O}: the wait started again at the restart ({restartedAt:O})");
        }
        else if (step != "promoted")
        {
            // Stopped before the wait was recorded: it starts when the restarted operator finds every keys.json holding the key.
            Assert.True(promotedAt >= restartedAt + propagation, $"presented at {promotedAt:O}, less than {propagation} after the restart at {restartedAt:O}");
        }
    }

    [Fact]
    public async Task A_receiver_that_starts_accepting_during_the_propagation_wait_holds_the_new_key_that_long_before_the_caller_presents_it()
    {
        var propagation = TimeSpan.FromSeconds(4);
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new Sigil.Operator.OperatorOptions { BundlePropagation = propagation });
        var ns = await cluster.CreateNamespaceAsync();
        // Two receivers behind one SPIFFE ID (service account "orders"): the caller's key reaches each that accepts it.
        await PaymentsCallsOrdersAsync(op, ns, OperatorUnderTest.Caller("payments", $"spiffe://cluster.local/ns/{ns}/sa/orders"));
        var before = Presented((await op.SecretAsync(ns, "payments-k-apikey"))!);

        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"during-wait"}}}""");
        DateTimeOffset? stagedAt = null;
        await Eventually.TrueAsync(async () =>
        {
            var annotations = (await op.SecretAsync(ns, "payments-k-apikey"))!.Metadata.Annotations;
            stagedAt = annotations.TryGetValue("sigil.dev/next-key-staged-at", out var value) ? DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;
            return stagedAt is not null;
        }, TimeSpan.FromSeconds(10), "the wait was never recorded");
        var halfway = stagedAt!.Value + propagation / 2;
        if (halfway > DateTimeOffset.UtcNow)
        {
            await Task.Delay(halfway - DateTimeOffset.UtcNow);
        }
        var addedAt = DateTimeOffset.UtcNow;
        var canary = OperatorUnderTest.Receiver("orders-canary", "payments");
        canary.Spec.ServiceAccountName = "orders";
        await op.CreateAsync(ns, canary);
        var done = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status!.ApiKeys![0].CurrentKeyId != before.KeyId);
        var secret = (await op.SecretAsync(ns, "payments-k-apikey"))!;
        var promotedAt = DateTimeOffset.Parse(secret.Metadata.Annotations["sigil.dev/rotated-at"], System.Globalization.CultureInfo.InvariantCulture);
        var final = Presented(secret);

        Assert.Equal(done.Status!.ApiKeys![0].CurrentKeyId, final.KeyId);
        Assert.True(promotedAt >= addedAt + propagation, $"presented at {promotedAt:O}, less than {propagation} after orders-canary started accepting at {addedAt:O}");
        Assert.Contains(await op.VerifierAsync(ns, "orders-canary"), e => e.KeyId == final.KeyId && e.NotAfter is null);
        Assert.Contains(await op.VerifierAsync(ns, "orders-canary"), e => e.KeyId == before.KeyId);
        Assert.Equal(2, (await op.VerifierAsync(ns, "orders")).Count);
    }

    [Fact]
    public async Task Bad_rotation_rules_are_InvalidSpec_with_the_schedule_named()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Caller("badcron", "orders", schedule: "at noon"));
        var bad = await op.WaitForAsync(ns, "badcron", Reasons.InvalidSpec);

        Assert.Contains("\"at noon\" is not a five-field cron expression", bad.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Null(await op.SecretAsync(ns, "badcron-k-apikey"));
    }

    [Fact]
    public async Task A_key_whose_Secret_is_taken_does_not_stop_the_identitys_other_keys_from_issuing_and_rotating()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var foreign = await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "payments-first-apikey" },
            StringData = new Dictionary<string, string> { ["precious"] = "do not touch" },
        }, ns);
        var payments = OperatorUnderTest.Caller("payments", "orders");
        payments.Spec.ApiKeys = [
            new ApiKeySpec { Name = "first", Audience = "orders", Rotation = new RotationSpec { Every = "720h" } },
            new ApiKeySpec { Name = "second", Audience = "orders", Rotation = new RotationSpec { Every = "720h" } },
        ];
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        await op.CreateAsync(ns, payments);

        var conflicted = await op.WaitForAsync(ns, "payments", Reasons.SecretConflict, i => i.Status?.ApiKeys is { Count: 1 });
        var before = Presented((await op.SecretAsync(ns, "payments-second-apikey"))!);
        Assert.Equal("second", Assert.Single(conflicted.Status!.ApiKeys!).Name);
        Assert.Equal(before.KeyId, conflicted.Status.ApiKeys![0].CurrentKeyId);
        Assert.Contains("Secret payments-first-apikey exists and was not created by Sigil", conflicted.Status.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Equal([("second", before.KeyId)], (await op.VerifierAsync(ns, "orders")).Select(e => (e.Name, e.KeyId)));

        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"now"}}}""");
        var rotated = await op.WaitForAsync(ns, "payments", Reasons.SecretConflict, i => i.Status?.ApiKeys is [{ } k] && k.CurrentKeyId != before.KeyId);
        var after = Presented((await op.SecretAsync(ns, "payments-second-apikey"))!);

        Assert.Equal(after.KeyId, rotated.Status!.ApiKeys![0].CurrentKeyId);
        Assert.Equal("now", rotated.Status.LastRotationRequest);
        Assert.Contains(await op.VerifierAsync(ns, "orders"), e => e.Name == "second" && e.KeyId == after.KeyId);
        var untouched = (await op.SecretAsync(ns, "payments-first-apikey"))!;
        Assert.Equal(foreign.Metadata.ResourceVersion, untouched.Metadata.ResourceVersion);
        Assert.Equal("do not touch", OperatorUnderTest.Text(untouched, "precious"));
    }

    [Fact]
    public async Task A_burst_of_credential_changes_restarts_the_workload_once_and_a_missing_workload_is_a_warning()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployments.New("payments"), ns);
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        var caller = OperatorUnderTest.Caller("payments", "orders");
        caller.Spec.X509 = new X509Spec();
        caller.Spec.RestartOnRotation = [new WorkloadReference { Kind = "Deployment", Name = "payments" }, new WorkloadReference { Kind = "StatefulSet", Name = "missing" }];

        await op.CreateAsync(ns, caller);
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 } && i.Status.X509 is not null);
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"burst-1"}}}""");
        await Task.Delay(500);
        await op.PatchAsync(ns, "payments", """{"metadata":{"annotations":{"sigil.dev/rotate":"burst-2"}}}""");
        await Eventually.TrueAsync(async () => (await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("payments", ns)).Spec.Template.Metadata.Annotations?.ContainsKey(Labels.RestartedAtAnnotation) == true,
            TimeSpan.FromSeconds(20));
        // The restart came once the window after the last change had closed; a pass after it would roll the workload again if it were going to.
        await op.PassAfterAsync(ns, "payments", () => op.PatchAsync(ns, "payments", """{"metadata":{"labels":{"poke":"after-restart"}}}"""));

        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("payments", ns);
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=payments")).Items;
        Assert.Equal(2, deployment.Metadata.Generation);
        Assert.Single(events, e => e.Reason == Reasons.RolloutRestarted && e.Type == "Normal");
        Assert.Contains(events, e => e.Reason == Reasons.RolloutRestarted && e.Type == "Warning" && e.Message.Contains("StatefulSet missing was not found", StringComparison.Ordinal));
    }
}
