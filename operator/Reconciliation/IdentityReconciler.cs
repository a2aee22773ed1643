using System.Diagnostics;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Credentials;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.Jwt;
using Sigil.Credentials.OAuth2;
using Sigil.Credentials.X509;
using Sigil.Observability;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>
/// One pass over one ServiceIdentity, composing the credential kinds: resolve the spec (<see cref="SpecResolver"/>), ask
/// each kind for its outcome (<see cref="X509Reconciler"/>, <see cref="ApiKeyReconciler"/>, <see cref="JwtReconciler"/>,
/// <see cref="ClientSecretReconciler"/>; each gathers, decides with its
/// pure policies and writes its own Secrets), then combine them into readiness and status (<see cref="StatusBuilder"/>),
/// keep the trust bundle, record events, restart workloads. One credential's problem never stops another's; the Ready
/// condition shows the first. Requeues at the earliest time something is due.
/// </summary>
internal sealed class IdentityReconciler
{
    private readonly IKubernetes _client;
    private readonly Informer<ServiceIdentity> _identities;
    private readonly Func<TrustSnapshot> _trust;
    private readonly string _trustDomain;
    private readonly EventRecorder _events;
    private readonly SigilMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecentWrites<ServiceIdentity> _writtenIdentities;
    private readonly X509Reconciler _x509;
    private readonly ApiKeyReconciler _apiKeys;
    private readonly JwtReconciler _jwt;
    private readonly ClientSecretReconciler _clientSecret;
    private readonly RestartPlanner _restarts;
    private readonly TrustBundlePublisher _trustBundles;

    /// <param name="trust">The root of trust as it stands (the CA manager swaps it after each lifecycle step).</param>
    public IdentityReconciler(IKubernetes client, Informer<ServiceIdentity> identities, SecretAccess secrets, TrustBundlePublisher trustBundles,
        Func<TrustSnapshot> trust, Operator.OperatorOptions options, EventRecorder events, SigilMetrics metrics, TimeProvider time, ILogger logger,
        Func<string, CancellationToken, Task>? stepHook = null)
    {
        (_client, _identities, _trust, _trustDomain, _events, _metrics, _time, _logger) =
            (client, identities, trust, options.TrustDomain, events, metrics, time, logger);
        _writtenIdentities = new RecentWrites<ServiceIdentity>(identities);
        _x509 = new X509Reconciler(secrets, trust, metrics, logger);
        _apiKeys = new ApiKeyReconciler(identities, secrets, _trustDomain, events, metrics, logger)
        {
            StepHook = stepHook,
            BundlePropagation = options.BundlePropagation,
            Time = time,
        };
        _jwt = new JwtReconciler(identities, secrets, _trustDomain, () => options.EffectiveIssuerUrl(), metrics, logger, options.BundlePropagation);
        _clientSecret = new ClientSecretReconciler(secrets, () => options.EffectiveIssuerUrl(), events, metrics, logger)
        {
            StepHook = stepHook,
            // The same wait as API keys: the endpoint's replicas see the annotation within seconds, but one rule is easier to trust.
            BundlePropagation = options.BundlePropagation,
            Time = time,
        };
        _restarts = new RestartPlanner(client, events, time, logger);
        _trustBundles = trustBundles;
    }

    /// <summary>Namespace annotations and the Secret index the name and Secret policies decide on (OperatorHost's caches).</summary>
    public required ClaimContext Claims { get; init; }

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var identity = _writtenIdentities.Freshest(ns, name);
        if (identity is null || identity.Metadata.DeletionTimestamp is not null)
        {
            _metrics.Forget(ns, name);
            return ReconcileResult.Done;
        }
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["Namespace"] = ns, ["Name"] = name });
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await ReconcileAsync(identity, ct);
        }
        finally
        {
            _metrics.ReconcileDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(ServiceIdentity identity, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var trust = _trust();
        var desired = SpecResolver.Resolve(identity, _trustDomain, Claims.ClusterDomain, Claims.AllowedDnsNames(identity.Metadata.NamespaceProperty));
        if (desired.Invalid is { } invalid)
        {
            await SetStatusAsync(identity, StatusBuilder.Build(identity, desired.SpiffeId, new Readiness(false, Reasons.InvalidSpec, invalid),
                identity.Status?.X509, identity.Status?.ApiKeys, identity.Status?.Jwt, null, null, now, identity.Status?.OAuth2), "Warning", ct);
            return ReconcileResult.Done;
        }
        // Decided from the cache, not from who wrote first, so the older claim wins even when the newer is reconciled first;
        // the loser writes nothing until the claim is freed (OperatorHost enqueues it then).
        if (SecretClaimPolicy.Conflict(identity, Claims.SharingSecretsWith(identity)) is { } conflict)
        {
            await SetStatusAsync(identity, StatusBuilder.Build(identity, desired.SpiffeId, new Readiness(false, Reasons.SecretConflict, conflict),
                identity.Status?.X509, identity.Status?.ApiKeys, identity.Status?.Jwt, null, null, now, identity.Status?.OAuth2), "Warning", ct);
            return ReconcileResult.Done;
        }
        var rotateRequest = identity.Metadata.Annotations is { } annotations && annotations.TryGetValue(Labels.RotateAnnotation, out var value) ? value : null;

        // A name it may not claim stops only the certificate; the keys go on.
        var certificate = desired.NotAllowed is { } notAllowed
            ? X509Reconciler.NotAllowed(identity, notAllowed)
            : desired.Certificate is { } wanted
                ? await _x509.ReconcileAsync(identity, desired.SpiffeId, wanted, rotateRequest, trust, now,
                    failure => SetStatusAsync(identity, StatusBuilder.Build(identity, desired.SpiffeId, failure, identity.Status?.X509, identity.Status?.ApiKeys, identity.Status?.Jwt, null, null, now, identity.Status?.OAuth2), "Warning", ct), ct)
                : null;
        if (certificate?.X509?.RenewalTime is null)
        {
            // Nothing will renew it (no spec.x509, or a name it may not claim): a renewal time left behind would look overdue.
            _metrics.CertificateRenewal.RemoveLabelled(identity.Metadata.NamespaceProperty, identity.Metadata.Name);
        }
        var keys = await _apiKeys.ReconcileCallerAsync(identity, rotateRequest, now, ct);
        var jwt = await _jwt.ReconcileAsync(identity, desired.SpiffeId, rotateRequest, trust, now, ct);
        var oauth2 = await _clientSecret.ReconcileAsync(identity, desired.SpiffeId, rotateRequest, now, ct);
        var (receiverProblem, nextExpiry) = await _apiKeys.ReconcileReceiverAsync(identity, now, ct);
        // Every namespace with an identity gets the trust bundle, also where identities only hold API keys.
        // The newest trust set, not the one this pass started with: a bundle must never go back to an older one.
        await _trustBundles.EnsureAsync(identity.Metadata.NamespaceProperty, _trust(), ct);

        var readiness = certificate?.NotReady ?? keys.NotReady ?? jwt?.NotReady ?? oauth2?.NotReady ?? receiverProblem
            ?? new Readiness(true, Reasons.Issued, ReadyMessage(certificate?.X509, desired.Certificate, keys.Statuses, jwt?.Status, oauth2?.Status));
        // Routine JWT renewals (every half hour at the default ttl) restart no workload: applications reread the token file.
        var rotatedAt = Latest(Latest(certificate?.RotatedAt, keys.RotatedAt), oauth2?.RotatedAt);
        var changedAt = Latest(rotatedAt, jwt?.RenewedAt);
        var actedOn = changedAt is not null && !string.IsNullOrEmpty(rotateRequest) ? rotateRequest : null;
        var status = StatusBuilder.Build(identity, desired.SpiffeId, readiness, certificate?.X509, keys.Statuses, jwt?.Status, changedAt, actedOn, now, oauth2?.Status);
        await SetStatusAsync(identity, status, readiness.Ready ? null : "Warning", ct);
        foreach (var ev in new[] { certificate?.Event, jwt?.Event }.OfType<(string Reason, string Note)>())
        {
            await _events.RecordAsync(identity, "Normal", ev.Reason, "Issue", ev.Note, ct);
        }
        var restartDue = await _restarts.ReconcileAsync(identity, rotatedAt ?? LastCredentialChange(identity, status), now, ct);

        var wakeUps = new[] { certificate?.X509?.RenewalTime, keys.NextDue, jwt?.NextDue, oauth2?.NextDue, nextExpiry, restartDue }
            .Concat(certificate?.Recheck is { } recheck ? [now + recheck] : Array.Empty<DateTimeOffset?>())
            .Where(t => t is not null).Select(t => t!.Value).ToList();
        if (wakeUps.Count == 0)
        {
            return ReconcileResult.Done;
        }
        // Whatever was due has been acted on in this pass; a time still in the past is one nothing can be done about
        // (a certificate that runs out with its CA), so look again in a minute rather than spin.
        var wait = wakeUps.Min() - now;
        return ReconcileResult.After(wait > TimeSpan.Zero ? (wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1)) : TimeSpan.FromMinutes(1));
    }

    private static string ReadyMessage(X509Status? x509, DesiredCertificate? certificate, IReadOnlyList<ApiKeyStatus> keys, JwtStatus? jwt, OAuth2Status? oauth2)
    {
        var parts = new List<string>();
        if (x509 is not null && certificate is not null)
        {
            parts.Add(X509Rendering.ReadyMessage(x509, certificate));
        }
        if (keys.Count > 0)
        {
            parts.Add(ApiKeyRendering.ReadyMessage(keys));
        }
        if (jwt is not null)
        {
            parts.Add(JwtRendering.ReadyMessage(jwt));
        }
        if (oauth2 is not null)
        {
            parts.Add(ClientSecretRendering.ReadyMessage(oauth2));
        }
        return parts.Count == 0 ? "no credentials requested: spec.x509, spec.apiKeys, spec.jwt and spec.oauth2 are empty" : string.Join("; ", parts);
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>When this identity's credentials last changed, as stored in the cluster (for restarts after a restart of Sigil).</summary>
    private static DateTimeOffset? LastCredentialChange(ServiceIdentity identity, ServiceIdentityStatus status) =>
        Latest(status.X509?.NotBefore + SvidIssuer.ClockSkewAllowance, status.ApiKeys?.Select(k => k.LastRotationTime).Max());

    private async Task SetStatusAsync(ServiceIdentity identity, ServiceIdentityStatus status, string? eventTypeOnChange, CancellationToken ct)
    {
        // Every outcome of a pass comes through here, so the gauge follows the condition even when status is unchanged.
        _metrics.IdentityReady.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name)
            .Set(status.Conditions![0].Status == "True" ? 1 : 0);
        if (!StatusBuilder.Differs(identity.Status, status))
        {
            return;
        }
        var patch = $$"""[{"op":"add","path":"/status","value":{{StatusBuilder.ToJson(status)}}}]""";
        var result = await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.JsonPatch),
            ServiceIdentity.Group, ServiceIdentity.Version, identity.Metadata.NamespaceProperty, ServiceIdentity.Plural, identity.Metadata.Name, cancellationToken: ct);
        if (result is JsonElement element && KubernetesJson.Deserialize<ServiceIdentity>(element.GetRawText()) is { } updated)
        {
            _writtenIdentities.Record(identity.Metadata.ResourceVersion, updated);
        }
        var ready = status.Conditions![0];
        var previous = identity.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (eventTypeOnChange is not null && (previous?.Reason != ready.Reason || previous?.Message != ready.Message))
        {
            _logger.LogWarning("{Namespace}/{Name} is not ready: {Reason}: {Message}", identity.Metadata.NamespaceProperty, identity.Metadata.Name, ready.Reason, ready.Message);
            await _events.RecordAsync(identity, eventTypeOnChange, ready.Reason!, "Validate", ready.Message!, ct);
        }
    }
}
