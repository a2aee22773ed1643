using System.Diagnostics;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Observability;
using Sigil.Reconciliation.Policies;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>
/// One pass over one ServiceIdentity: gather (caches, then the API only for a Secret the cache cannot see),
/// decide (<see cref="SpecResolver"/>, <see cref="ReissuePolicy"/>, <see cref="StatusBuilder"/>, all pure),
/// act (Secret, trust bundle, status, event; each only when it changes). Requeues at the renewal time.
/// </summary>
internal sealed class IdentityReconciler(
    IKubernetes client,
    Informer<ServiceIdentity> identities,
    Informer<V1Secret> secrets,
    Informer<V1ConfigMap> configMaps,
    CertificateAuthority ca,
    string trustDomain,
    EventRecorder events,
    SigilMetrics metrics,
    TimeProvider time,
    ILogger logger)
{
    public static readonly TimeSpan ConflictRecheck = TimeSpan.FromMinutes(1);
    private readonly SvidIssuer _issuer = new(ca, time);
    private readonly RecentWrites<ServiceIdentity> _writtenIdentities = new();
    private readonly RecentWrites<V1Secret> _writtenSecrets = new();
    private readonly string _caKeyId = ca.Signer.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension>()
        .FirstOrDefault()?.SubjectKeyIdentifier?.ToLowerInvariant() ?? "";

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var cached = identities.Get(ns, name);
        var identity = cached is null ? null : _writtenIdentities.Freshest(key, cached);
        if (identity is null || identity.Metadata.DeletionTimestamp is not null)
        {
            _writtenIdentities.Forget(key);
            metrics.Forget(ns, name);
            return ReconcileResult.Done;
        }
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Namespace"] = ns, ["Name"] = name });
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await ReconcileAsync(identity, ct);
        }
        finally
        {
            metrics.ReconcileDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(ServiceIdentity identity, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var desired = SpecResolver.Resolve(identity, trustDomain);
        if (desired.Invalid is { } invalid)
        {
            await SetStatusAsync(identity, desired.SpiffeId, new Readiness(false, Reasons.InvalidSpec, invalid), identity.Status?.X509, null, null, now,
                EventType.Warning, ct);
            return ReconcileResult.Done;
        }
        if (desired.Certificate is not { } certificate)
        {
            await SetStatusAsync(identity, desired.SpiffeId, new Readiness(true, Reasons.Issued, "no credentials requested: spec.x509 is not set"), null, null, null, now, null, ct);
            return ReconcileResult.Done;
        }

        var secretKey = $"{identity.Metadata.NamespaceProperty}/{certificate.SecretName}";
        var secret = _writtenSecrets.Freshest(secretKey, secrets.Get(identity.Metadata.NamespaceProperty, certificate.SecretName))
            ?? await client.ReadSecretOrNullAsync(identity.Metadata.NamespaceProperty, certificate.SecretName, ct);
        if (secret is not null && !Rendering.IsOwnedBy(secret, identity))
        {
            var message = $"Secret {certificate.SecretName} exists and was not created by Sigil for this identity: delete it or set spec.x509.secretName to another name";
            await SetStatusAsync(identity, desired.SpiffeId, new Readiness(false, Reasons.SecretConflict, message), identity.Status?.X509, null, null, now, EventType.Warning, ct);
            return ReconcileResult.After(ConflictRecheck);
        }

        var stored = secret is null ? null : SecretReader.Read(secret);
        var rotateRequest = identity.Metadata.Annotations is { } annotations && annotations.TryGetValue(Labels.RotateAnnotation, out var value) ? value : null;
        var input = new CertificateInput(desired.SpiffeId, certificate, stored, _caKeyId, ca.NotAfter, rotateRequest, identity.Status?.LastRotationRequest, now);
        var decision = ReissuePolicy.Evaluate(input);

        CertificateFacts facts;
        DateTimeOffset? rotatedAt = null;
        string? actedOn = null;
        (string Type, string Reason, string Note)? issuedEvent = null;
        if (decision is not null)
        {
            IssuedSvid svid;
            try
            {
                svid = _issuer.Issue(new SvidRequest(desired.SpiffeId, certificate.DnsNames, certificate.KeyAlgorithm, certificate.Ttl));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                await SetStatusAsync(identity, desired.SpiffeId, new Readiness(false, Reasons.IssuanceFailed, $"could not issue a certificate: {e.GetType().Name}"),
                    identity.Status?.X509, null, null, now, EventType.Warning, ct);
                throw;
            }
            var written = await WriteSecretAsync(Rendering.SvidSecret(identity, certificate, desired.SpiffeId, svid, secret?.Metadata.ResourceVersion), secret is null, ct);
            _writtenSecrets.Record(secretKey, secret?.Metadata.ResourceVersion, written);
            facts = svid.Facts;
            rotatedAt = now;
            actedOn = string.IsNullOrEmpty(rotateRequest) ? null : rotateRequest;
            var reason = decision.Reason switch
            {
                ReissueReasons.DueForRenewal => Reasons.Renewed,
                ReissueReasons.ManualRotation => Reasons.Rotated,
                _ => Reasons.Issued,
            };
            metrics.Rotations.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name, "x509").Inc();
            logger.LogInformation("{Reason} certificate for {SpiffeId}: serial {Serial}, expires {NotAfter} ({Why})", reason, desired.SpiffeId.ToString(), facts.SerialNumber, facts.NotAfter, decision.Reason);
            issuedEvent = (EventType.Normal, reason,
                $"{reason} certificate serial {facts.SerialNumber} (SHA-256 {facts.FingerprintSha256[..16]}...) for {desired.SpiffeId}, valid until {facts.NotAfter:u}: {decision.Message}");
        }
        else
        {
            facts = stored!.Facts!;
        }

        await EnsureTrustBundleAsync(identity.Metadata.NamespaceProperty, ct);
        var renewal = RenewalSchedule.RenewalTime(facts.NotAfter, certificate.RenewBefore, facts.SerialNumber);
        var x509 = StatusBuilder.X509(certificate.SecretName, facts, renewal);
        await SetStatusAsync(identity, desired.SpiffeId, new Readiness(true, Reasons.Issued, $"certificate serial {facts.SerialNumber} is valid until {facts.NotAfter:u}"),
            x509, rotatedAt, actedOn, now, null, ct);
        if (issuedEvent is { } ev)
        {
            await events.RecordAsync(identity, ev.Type, ev.Reason, "Issue", ev.Note, ct);
        }
        metrics.CertificateExpiration.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name).Set(facts.NotAfter.ToUnixTimeSeconds());
        metrics.CertificateRenewal.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name).Set(renewal.ToUnixTimeSeconds());
        var wait = renewal - now;
        return ReconcileResult.After(wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
    }

    private async Task SetStatusAsync(ServiceIdentity identity, SpiffeId spiffeId, Readiness readiness, X509Status? x509, DateTimeOffset? rotatedAt,
        string? actedOn, DateTimeOffset now, string? eventTypeOnChange, CancellationToken ct)
    {
        var status = StatusBuilder.Build(identity, spiffeId, readiness, x509, rotatedAt, actedOn, now);
        if (!StatusBuilder.Differs(identity.Status, status))
        {
            return;
        }
        var patch = $$"""[{"op":"add","path":"/status","value":{{StatusBuilder.ToJson(status)}}}]""";
        var result = await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(patch, V1Patch.PatchType.JsonPatch),
            ServiceIdentity.Group, ServiceIdentity.Version, identity.Metadata.NamespaceProperty, ServiceIdentity.Plural, identity.Metadata.Name, cancellationToken: ct);
        if (result is JsonElement element && KubernetesJson.Deserialize<ServiceIdentity>(element.GetRawText()) is { } updated)
        {
            _writtenIdentities.Record(Informer<ServiceIdentity>.Key(identity), identity.Metadata.ResourceVersion, updated);
        }
        var previous = identity.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (eventTypeOnChange is not null && (previous?.Reason != readiness.Reason || previous?.Message != readiness.Message))
        {
            logger.LogWarning("{Namespace}/{Name} is not ready: {Reason}: {Message}", identity.Metadata.NamespaceProperty, identity.Metadata.Name, readiness.Reason, readiness.Message);
            await events.RecordAsync(identity, eventTypeOnChange, readiness.Reason, "Validate", readiness.Message, ct);
        }
    }

    private async Task<V1Secret> WriteSecretAsync(V1Secret secret, bool create, CancellationToken ct) => create
        ? await client.CoreV1.CreateNamespacedSecretAsync(secret, secret.Metadata.NamespaceProperty, cancellationToken: ct)
        : await client.CoreV1.ReplaceNamespacedSecretAsync(secret, secret.Metadata.Name, secret.Metadata.NamespaceProperty, cancellationToken: ct);


    private async Task EnsureTrustBundleAsync(string ns, CancellationToken ct)
    {
        var current = configMaps.Get(ns, Rendering.TrustBundleName);
        if (current?.Data is { } data && data.TryGetValue("ca.crt", out var pem) && pem == ca.TrustBundlePem)
        {
            return;
        }
        var desired = Rendering.TrustBundle(ns, ca.TrustBundlePem, current?.Metadata.ResourceVersion);
        try
        {
            if (current is null)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(desired, ns, cancellationToken: ct);
            }
            else
            {
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(desired, Rendering.TrustBundleName, ns, cancellationToken: ct);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && current is null)
        {
            // Not in our cache yet but already there: ours (the cache will catch up and requeue) or a foreign one we leave alone.
            logger.LogDebug("ConfigMap {Namespace}/{ConfigMap} already exists", ns, Rendering.TrustBundleName);
        }
    }

    private static class EventType
    {
        public const string Normal = nameof(Normal);
        public const string Warning = nameof(Warning);
    }
}
