using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Observability;
using Sigil.Runtime;

namespace Sigil.Credentials.ApiKeys;

/// <summary>What the key part of a pass concluded.</summary>
internal sealed record KeysOutcome(Readiness? NotReady, IReadOnlyList<ApiKeyStatus> Statuses, DateTimeOffset? NextDue, DateTimeOffset? RotatedAt, bool Rotated);

/// <summary>
/// API keys and HMAC secrets, both sides. As a caller: keep the caller Secret's current key and rotate it in an
/// order that loses no request (a new key is stored as "next" in the caller Secret, added to every accepting
/// receiver's verifier, promoted once every receiver has held it for --bundle-propagation; the old key stays in
/// verifiers until rotation + grace). As a receiver:
/// keep &lt;name&gt;-verifiers to the callers it accepts and drop expired keys. Every step reads what the cluster
/// holds, so a pass interrupted anywhere finishes the same rotation next time, never rotating twice or early.
/// The act step of the API-key kind: <see cref="DesiredApiKey"/> reads each key, <see cref="RotationPolicy"/> says whether
/// it is due, <see cref="PromotionPolicy"/> when its next key may be presented, <see cref="ApiKeyRendering"/> renders the
/// Secrets. Each key stands alone: one that cannot proceed (a bad rotation rule, a Secret Sigil did not create) reports
/// why, and the identity's other keys still issue and rotate.
/// </summary>
internal sealed class ApiKeyReconciler(
    Informer<ServiceIdentity> identities,
    SecretAccess secrets,
    string trustDomain,
    EventRecorder events,
    SigilMetrics metrics,
    ILogger logger)
{
    private const string RotatedAtAnnotation = ApiKeyRendering.RotatedAtAnnotation;
    private const string RotationRequestAnnotation = Labels.RotationRequestAnnotation;
    private const string NextRotationRequestAnnotation = ApiKeyRendering.NextRotationRequestAnnotation;
    private const string VerifierSuffix = ApiKeyRendering.VerifierSuffix;

    /// <summary>A test hook: called between the steps of a rotation, so crash tests can stop the operator there.</summary>
    public Func<string, CancellationToken, Task>? StepHook { get; init; }

    /// <summary>How long every accepting receiver's keys.json holds a next key before the caller presents it (--bundle-propagation).</summary>
    public TimeSpan BundlePropagation { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public async Task<KeysOutcome> ReconcileCallerAsync(ServiceIdentity identity, string? rotateRequest, DateTimeOffset now, CancellationToken ct)
    {
        var statuses = new List<ApiKeyStatus>();
        Readiness? notReady = null;
        DateTimeOffset? nextDue = null, rotatedAt = null;
        var rotated = false;
        var scheduled = new HashSet<(string Kind, string Key)>();
        var callerId = Consent.IdOf(identity, trustDomain);
        var all = identity.Spec.ApiKeys is { Count: > 0 } ? identities.Enumerate().ToList() : [];
        foreach (var key in identity.Spec.ApiKeys ?? [])
        {
            // A key that cannot proceed reports why and is skipped: the identity's other keys still issue and rotate.
            var (desired, invalid) = DesiredApiKey.FromSpec(identity, key);
            if (desired is null)
            {
                notReady ??= new Readiness(false, Reasons.InvalidSpec, invalid!);
                continue;
            }
            var (type, secretName, schedule) = (desired.Type, desired.SecretName, desired.Schedule);
            var ns = identity.Metadata.NamespaceProperty;
            var secret = await secrets.ReadAsync(ns, secretName, ct);
            if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, identity))
            {
                notReady ??= ManagedSecrets.Conflict(secretName, $"delete it or set apiKeys[{key.Name}].secretName");
                // As for certificates: look again in a while, in case the Secret goes away without an event that reaches us.
                var recheck = now + X509.X509Reconciler.ConflictRecheck;
                nextDue = nextDue is { } due && due < recheck ? due : recheck;
                continue;
            }

            var receivers = Consent.Receivers(key.Audience, identity, all, trustDomain);
            var accepting = receivers.Where(r => Consent.Accepts(r, callerId.ToString(), trustDomain, all)).ToList();
            if (accepting.Count == 0)
            {
                notReady ??= Consent.Unaccepted(key, identity, callerId, receivers, trustDomain);
            }

            var current = ApiKeyMaterial.Parse(ManagedSecrets.Text(secret, "api-key"));
            var pending = ApiKeyMaterial.Parse(ManagedSecrets.Text(secret, "next-api-key"));
            var currentRotatedAt = ManagedSecrets.Annotation(secret, RotatedAtAnnotation) is { } r && DateTimeOffset.TryParse(r, out var parsed) ? parsed : now;
            var actedOn = ManagedSecrets.Annotation(secret, RotationRequestAnnotation);
            var rotation = RotationPolicy.Decide(new RotationInput(current?.KeyId, currentRotatedAt, rotateRequest, actedOn,
                ManagedSecrets.Annotation(secret, NextRotationRequestAnnotation), schedule, now));

            // Step 1: choose the next key and keep it in the caller's Secret (not yet presented).
            if (rotation.Due && pending is null)
            {
                pending = ApiKeyMaterial.New();
                secret = await WriteCallerAsync(identity, secretName, key, type, current, pending, currentRotatedAt, actedOn, rotation.Request, secret, ct);
                logger.LogInformation("Next API key {Key} of {Namespace}/{Name} chosen ({Reason}): key id {KeyId}", key.Name, ns, identity.Metadata.Name, rotation.Reason, pending.KeyId);
                await Step("next-key-stored", ct);
            }
            DateTimeOffset? promoteAt = null;
            if (pending is not null)
            {
                // Step 2: every accepting receiver accepts the next key before the caller presents it.
                var staged = new CallerKeyState(callerId.ToString(), key.Name, type, current ?? pending, currentRotatedAt, pending);
                var everyReceiverHeldKey = true;
                foreach (var receiver in accepting)
                {
                    var (before, _) = await EnsureVerifierAsync(receiver, staged, schedule.Grace, now, ct);
                    everyReceiverHeldKey &= before is null || VerifierPlan.Holds(before, staged, pending);
                }
                await Step("verifiers-updated", ct);
                // Step 3: wait until every receiver's pods can have loaded it (--bundle-propagation), from a time kept
                // on the caller Secret so a restart neither skips nor restarts the wait.
                var nextRequest = ManagedSecrets.Annotation(secret, NextRotationRequestAnnotation);
                // The clock after the keys.json writes, not at the start of the pass: the wait counts from when receivers hold the key.
                var decision = PromotionPolicy.Decide(new PromotionInput(current is null, StagedAt(secret), everyReceiverHeldKey, Time.GetUtcNow(), BundlePropagation));
                if (decision.StageNow)
                {
                    secret = await WriteCallerAsync(identity, secretName, key, type, current, pending, currentRotatedAt, actedOn, nextRequest, secret, ct,
                        decision.StagedAt);
                    logger.LogInformation("Next API key {Key} of {Namespace}/{Name} ({KeyId}) is in every accepting receiver's keys.json ({Reason}); presented from {PromoteAt}",
                        key.Name, ns, identity.Metadata.Name, pending.KeyId, decision.Reason, decision.PromoteAt);
                    await Step("next-key-staged", ct);
                }
                if (!decision.Promote)
                {
                    promoteAt = decision.PromoteAt;
                }
                else
                {
                    // Step 4: promote; the old key is retired from verifiers from now on, for the grace period.
                    var request = nextRequest ?? actedOn;
                    // Stored to the second in the annotation; use the same value now, so later passes compute the same schedule.
                    var promotedAt = Timestamps.ToSecond(now);
                    secret = await WriteCallerAsync(identity, secretName, key, type, pending, null, promotedAt, request, null, secret, ct);
                    await Step("promoted", ct);
                    var first = current is null;
                    (current, pending, currentRotatedAt, rotated, rotatedAt) = (pending, null, promotedAt, true, promotedAt);
                    metrics.CountRotation(ns, identity.Metadata.Name, type == "Bearer" ? "apikey" : "hmac");
                    logger.LogInformation("{Reason} API key {Key} of {Namespace}/{Name}: key id {KeyId}", first ? "Issued" : "Rotated", key.Name, ns, identity.Metadata.Name, current.KeyId);
                    await events.RecordAsync(identity, "Normal", first ? Reasons.Issued : Reasons.Rotated, "Rotate",
                        $"{(first ? "Issued" : "Rotated")} {type} key {key.Name} for audience {key.Audience}: key id {current.KeyId}", ct);
                }
            }

            // Step 5: verifiers hold the current key (and a next key still waiting) and retired keys until their grace period ends.
            var state = new CallerKeyState(callerId.ToString(), key.Name, type, current!, currentRotatedAt, pending);
            // activeKeyIds are the keys the caller has presented: a next key still waiting is not one yet.
            var active = new SortedSet<string>(StringComparer.Ordinal) { current!.KeyId };
            DateTimeOffset? earliestExpiry = null;
            foreach (var receiver in accepting)
            {
                var (_, entries) = await EnsureVerifierAsync(receiver, state, schedule.Grace, now, ct);
                foreach (var entry in entries.Where(e => e.Caller == state.Caller && e.Name == key.Name && e.KeyId != pending?.KeyId))
                {
                    active.Add(entry.KeyId);
                    if (entry.NotAfter is { } notAfter && (earliestExpiry is null || notAfter < earliestExpiry))
                    {
                        earliestExpiry = notAfter;
                    }
                }
            }
            var next = schedule.NextRotation(currentRotatedAt, current.KeyId);
            var kind = type == "Bearer" ? "apikey" : "hmac";
            metrics.SetNextKeyRotation(ns, identity.Metadata.Name, kind, key.Name, next);
            scheduled.Add((kind, key.Name));
            statuses.Add(ApiKeyRendering.Status(desired, current, active, currentRotatedAt, next));
            // While a next key waits, the rotation has started (next is past): wake up when it may be presented.
            foreach (var candidate in new DateTimeOffset?[] { promoteAt ?? next, earliestExpiry })
            {
                if (candidate is { } c && (nextDue is null || c < nextDue))
                {
                    nextDue = c;
                }
            }
        }
        // A key that left the spec (or changed type) must not leave a next-rotation time behind that never comes.
        metrics.KeepApiKeys(identity.Metadata.NamespaceProperty, identity.Metadata.Name, scheduled);
        return new KeysOutcome(notReady, statuses, nextDue, rotatedAt, rotated);
    }

    /// <summary>The receiver side: &lt;name&gt;-verifiers holds only accepted callers' keys, none past its notAfter.</summary>
    public async Task<(Readiness? NotReady, DateTimeOffset? NextExpiry)> ReconcileReceiverAsync(ServiceIdentity receiver, DateTimeOffset now, CancellationToken ct)
    {
        var ns = receiver.Metadata.NamespaceProperty;
        var name = receiver.Metadata.Name + VerifierSuffix;
        if ((receiver.Spec.AcceptsFrom ?? []).Count == 0 && secrets.Cached(ns, name) is null)
        {
            // Not a receiver, and no verifier of ours to prune: nothing to read or write.
            return (null, null);
        }
        var secret = await secrets.ReadAsync(ns, name, ct);
        if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, receiver))
        {
            // Sigil sees no event when a Secret it did not label goes away: look again in a while, as for caller keys.
            return (ManagedSecrets.Conflict(name, "delete it"), now + X509.X509Reconciler.ConflictRecheck);
        }
        var all = identities.Enumerate().ToList();
        var existing = VerifierPlan.Parse(ManagedSecrets.Bytes(secret, "keys.json"));
        // Keep a caller's key while the caller is accepted and still has a key by that name for this receiver;
        // a deleted caller, or one whose key now targets someone else, leaves nothing behind. One walk of the
        // cache collects what may stay, so the check per entry is a lookup.
        var wanted = all
            .SelectMany(c => (c.Spec.ApiKeys ?? [])
                .Where(k => Consent.Receivers(k.Audience, c, [receiver], trustDomain).Count > 0)
                .Select(k => (Caller: Consent.IdOf(c, trustDomain).ToString(), k.Name)))
            .Where(p => Consent.Accepts(receiver, p.Caller, trustDomain, all))
            .ToHashSet();
        var pruned = VerifierPlan.Pruned(existing, e => wanted.Contains((e.Caller, e.Name)), now);
        if (secret is null || !VerifierPlan.Same(existing, pruned))
        {
            await WriteVerifierAsync(receiver, pruned, secret, ct);
        }
        return (null, pruned.Where(e => e.NotAfter is not null).Select(e => e.NotAfter).Min());
    }

    /// <summary>
    /// Brings one receiver's keys.json to <paramref name="state"/>: what it held before (null for a Secret Sigil did
    /// not create, which never gets keys and so is nothing to wait for) and what it holds now.
    /// </summary>
    private async Task<(IReadOnlyList<VerifierEntry>? Before, IReadOnlyList<VerifierEntry> After)> EnsureVerifierAsync(ServiceIdentity receiver,
        CallerKeyState state, TimeSpan grace, DateTimeOffset now, CancellationToken ct)
    {
        var ns = receiver.Metadata.NamespaceProperty;
        var name = receiver.Metadata.Name + VerifierSuffix;
        var secret = await secrets.ReadAsync(ns, name, ct);
        if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, receiver))
        {
            logger.LogWarning("Verifier Secret {Namespace}/{Secret} was not created by Sigil; not adding keys to it", ns, name);
            return (null, []);
        }
        var existing = VerifierPlan.Parse(ManagedSecrets.Bytes(secret, "keys.json"));
        var desired = VerifierPlan.WithCallerKey(existing, state, grace, now);
        if (secret is null || !VerifierPlan.Same(existing, desired))
        {
            await WriteVerifierAsync(receiver, desired, secret, ct);
        }
        return (existing, desired);
    }

    private async Task WriteVerifierAsync(ServiceIdentity receiver, IReadOnlyList<VerifierEntry> entries, V1Secret? current, CancellationToken ct) =>
        await secrets.WriteAsync(ApiKeyRendering.VerifierSecret(receiver, entries), current, ct);

    private async Task<V1Secret> WriteCallerAsync(ServiceIdentity identity, string secretName, ApiKeySpec key, string type, ApiKeyMaterial? current,
        ApiKeyMaterial? next, DateTimeOffset rotatedAt, string? actedOn, string? nextRequest, V1Secret? existing, CancellationToken ct,
        DateTimeOffset? nextStagedAt = null) =>
        await secrets.WriteAsync(ApiKeyRendering.CallerKeySecret(identity, Consent.IdOf(identity, trustDomain), secretName, key, type, current, next, rotatedAt, actedOn, nextRequest,
            nextStagedAt), existing, ct);

    /// <summary>sigil.dev/next-key-staged-at, if the caller Secret has a next key that every receiver has held since then.</summary>
    private static DateTimeOffset? StagedAt(V1Secret? secret) =>
        ManagedSecrets.Annotation(secret, ApiKeyRendering.NextKeyStagedAtAnnotation) is { } value && DateTimeOffset.TryParse(value, out var stagedAt) ? stagedAt : null;

    private Task Step(string step, CancellationToken ct) => StepHook?.Invoke(step, ct) ?? Task.CompletedTask;
}
