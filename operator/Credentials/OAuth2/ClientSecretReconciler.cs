using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Identity;
using Sigil.Observability;

namespace Sigil.Credentials.OAuth2;

/// <summary>What the OAuth 2.0 part of a pass concluded: a problem (or null), its status, when the secret rotated, when to look again.</summary>
internal sealed record ClientSecretOutcome(Readiness? NotReady, OAuth2Status? Status, DateTimeOffset? RotatedAt, DateTimeOffset? NextDue);

/// <summary>
/// The act step for an identity's OAuth 2.0 client secret: <see cref="DesiredClientSecret"/> reads the spec,
/// <see cref="RotationPolicy"/> says whether a new secret is due and <see cref="PromotionPolicy"/> when it may be
/// presented (both shared with API keys), <see cref="ClientSecretVerifierPlan"/> which secrets the token endpoint
/// accepts, and <see cref="ClientSecretRendering"/> renders the Secret. A rotation loses no request: (1) the next
/// secret's hash goes into the verifier annotation (the endpoint accepts it), (2) the time is recorded, (3) once
/// --bundle-propagation has passed the Secret presents it, and (4) the previous secret stays accepted for gracePeriod.
/// The endpoint's replicas read the annotation from their caches within seconds, but pods see the Secret only when
/// their kubelet syncs it, and the wait is the same as API keys' for one rule everywhere. Every step is read back from
/// the Secret, so a pass interrupted anywhere finishes the same rotation next time. Secrets are never logged.
/// </summary>
internal sealed class ClientSecretReconciler(SecretAccess secrets, Func<string> issuerUrl, EventRecorder events, SigilMetrics metrics, ILogger logger)
{
    public const string MetricKind = "oauth2";
    public const string MetricKey = "client-secret";

    /// <summary>--bundle-propagation: how long the endpoint accepts a next secret before the Secret presents it.</summary>
    public TimeSpan BundlePropagation { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A test hook: called between the steps of a rotation.</summary>
    public Func<string, CancellationToken, Task>? StepHook { get; init; }

    public async Task<ClientSecretOutcome?> ReconcileAsync(ServiceIdentity identity, SpiffeId clientId, string? rotateRequest, DateTimeOffset now, CancellationToken ct)
    {
        var (ns, name) = (identity.Metadata.NamespaceProperty, identity.Metadata.Name);
        if (identity.Spec.OAuth2 is null)
        {
            metrics.RemoveNextKeyRotation(ns, name, MetricKind, MetricKey);
            return null;
        }
        var (desired, invalid) = DesiredClientSecret.FromSpec(identity);
        if (invalid is not null)
        {
            return new ClientSecretOutcome(new Readiness(false, Reasons.InvalidSpec, invalid), identity.Status?.OAuth2, null, null);
        }
        if (desired is null)
        {
            // A client that authenticates with its X.509-SVID: nothing to write, only its client id to show.
            metrics.RemoveNextKeyRotation(ns, name, MetricKind, MetricKey);
            return new ClientSecretOutcome(null, ClientSecretRendering.Status(clientId, null, null, null), null, null);
        }

        var secret = await secrets.ReadAsync(ns, desired.SecretName, ct);
        if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, identity))
        {
            return new ClientSecretOutcome(ManagedSecrets.Conflict(desired.SecretName, "delete it or set spec.oauth2.clientSecret.secretName to another name"),
                identity.Status?.OAuth2, null, now + X509.X509Reconciler.ConflictRecheck);
        }
        var tokenEndpoint = ClientSecretRendering.TokenEndpoint(issuerUrl());
        var grace = desired.Schedule.Grace;
        var state = ClientSecretRendering.Read(secret, now);
        var rotation = RotationPolicy.Decide(new RotationInput(state.Current?.KeyId, state.RotatedAt, rotateRequest, state.ActedOn, state.NextRequest,
            desired.Schedule, now));
        if (rotation.Due && state.Next is null)
        {
            state = state with { Next = ApiKeyMaterial.New(), NextRequest = rotation.Request, StagedAt = null };
            logger.LogInformation("Next OAuth 2.0 client secret of {Namespace}/{Name} chosen ({Reason}): key id {KeyId}", ns, name, rotation.Reason, state.Next.KeyId);
        }

        DateTimeOffset? promoteAt = null, rotatedAt = null;
        if (state.Next is { } next)
        {
            var heldBefore = ClientSecretVerifierPlan.Holds(state.Verifiers, next);
            if (!heldBefore && state.Current is not null)
            {
                // Step 1: the endpoint accepts the next secret (and the Secret keeps it) before anything presents it.
                // A staged-at time from before the annotation held the hash stands for nothing: it is dropped in the same write.
                state = state with { Verifiers = ClientSecretVerifierPlan.Desired(state.Verifiers, state.Current, next, state.RotatedAt, grace, now), StagedAt = null };
                secret = await WriteAsync(identity, desired, clientId, tokenEndpoint, state, secret, ct);
                await Step("oauth2-next-accepted", ct);
            }
            // The clock after that write: the wait counts from when the annotation holds the hash.
            var decision = PromotionPolicy.Decide(new PromotionInput(state.Current is null, state.StagedAt, heldBefore, Time.GetUtcNow(), BundlePropagation));
            if (decision.StageNow)
            {
                // Step 2: record since when, so a restart of Sigil neither skips nor restarts the wait.
                state = state with { StagedAt = decision.StagedAt };
                secret = await WriteAsync(identity, desired, clientId, tokenEndpoint, state, secret, ct);
                logger.LogInformation("Next OAuth 2.0 client secret of {Namespace}/{Name} ({KeyId}) is accepted by the token endpoint ({Reason}); presented from {PromoteAt}",
                    ns, name, next.KeyId, decision.Reason, decision.PromoteAt);
                await Step("oauth2-next-staged", ct);
            }
            if (!decision.Promote)
            {
                promoteAt = decision.PromoteAt;
            }
            else
            {
                // Step 3: present it; the previous secret is retired from now on, accepted for the grace period.
                var first = state.Current is null;
                var promotedAt = Timestamps.ToSecond(now);
                state = state with
                {
                    Current = next,
                    Next = null,
                    RotatedAt = promotedAt,
                    ActedOn = state.NextRequest ?? state.ActedOn,
                    NextRequest = null,
                    StagedAt = null,
                };
                state = state with { Verifiers = ClientSecretVerifierPlan.Desired(state.Verifiers, state.Current, null, promotedAt, grace, now) };
                secret = await WriteAsync(identity, desired, clientId, tokenEndpoint, state, secret, ct);
                await Step("oauth2-promoted", ct);
                rotatedAt = promotedAt;
                metrics.CountRotation(ns, name, MetricKind);
                logger.LogInformation("{Reason} OAuth 2.0 client secret of {Namespace}/{Name}: key id {KeyId}", first ? "Issued" : "Rotated", ns, name, next.KeyId);
                await events.RecordAsync(identity, "Normal", first ? Reasons.Issued : Reasons.Rotated, "Rotate",
                    $"{(first ? "Issued" : "Rotated")} OAuth 2.0 client secret for client {clientId}: key id {next.KeyId}", ct);
            }
        }

        // Step 4 (every pass): previous secrets leave the annotation when their grace period ends; the client id and
        // token endpoint follow the spec and --issuer-url. Nothing is written when nothing changed.
        state = state with { Verifiers = ClientSecretVerifierPlan.Desired(state.Verifiers, state.Current, state.Next, state.RotatedAt, grace, now) };
        var rendered = ClientSecretRendering.Secret(identity, desired, clientId, tokenEndpoint, state);
        if (secret is null || !ClientSecretRendering.Same(secret, rendered))
        {
            secret = await secrets.WriteAsync(rendered, secret, ct);
        }

        var current = state.Current!;
        var nextRotation = desired.Schedule.NextRotation(state.RotatedAt, current.KeyId);
        metrics.SetNextKeyRotation(ns, name, MetricKind, MetricKey, nextRotation);
        // While a next secret waits, the rotation has started (nextRotation is past): wake up when it may be presented.
        var nextDue = new[] { promoteAt ?? nextRotation, ClientSecretVerifierPlan.NextExpiry(state.Verifiers) }.Where(t => t is not null).Min();
        return new ClientSecretOutcome(null, ClientSecretRendering.Status(clientId, desired, current, nextRotation), rotatedAt, nextDue);
    }

    private async Task<V1Secret> WriteAsync(ServiceIdentity identity, DesiredClientSecret desired, SpiffeId clientId, string tokenEndpoint, ClientSecretState state,
        V1Secret? existing, CancellationToken ct) =>
        await secrets.WriteAsync(ClientSecretRendering.Secret(identity, desired, clientId, tokenEndpoint, state), existing, ct);

    private Task Step(string step, CancellationToken ct) => StepHook?.Invoke(step, ct) ?? Task.CompletedTask;
}
