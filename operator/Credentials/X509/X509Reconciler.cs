using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Observability;

namespace Sigil.Credentials.X509;

/// <summary>What the certificate part of a pass concluded: a problem (or null), its status, when it changed, the event to record, when to look again.</summary>
internal sealed record CertificateOutcome(Readiness? NotReady, X509Status? X509, DateTimeOffset? RotatedAt, (string Reason, string Note)? Event, TimeSpan? Recheck);

/// <summary>
/// The act step for an identity's X.509-SVID: gathers its Secret, asks <see cref="ReissuePolicy"/> whether to reissue,
/// and if so issues and writes the Secret <see cref="X509Rendering"/> renders. A Secret Sigil did not create is never
/// overwritten.
/// </summary>
internal sealed class X509Reconciler(SecretAccess secrets, Func<TrustSnapshot> trust, SigilMetrics metrics, ILogger logger)
{
    /// <summary>How soon to look again at a Secret name taken by someone else (Sigil cannot watch Secrets it did not label).</summary>
    public static readonly TimeSpan ConflictRecheck = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A name it may not claim stops only the certificate: the existing one is neither renewed nor reissued (so status shows
    /// no renewal time, and none wakes this identity: the Namespace's annotation or a spec change does).
    /// </summary>
    public static CertificateOutcome NotAllowed(ServiceIdentity identity, string message) =>
        new(new Readiness(false, Reasons.NotAllowed, message), identity.Status?.X509 is { } shown ? shown with { RenewalTime = null } : null, null, null, null);

    /// <param name="signing">The root of trust this pass started with (its signer issues).</param>
    /// <param name="reportIssuanceFailure">Writes the problem to status before an issuance error is rethrown for a retry with backoff.</param>
    public async Task<CertificateOutcome> ReconcileAsync(ServiceIdentity identity, SpiffeId spiffeId, DesiredCertificate certificate, string? rotateRequest,
        TrustSnapshot signing, DateTimeOffset now, Func<Readiness, Task> reportIssuanceFailure, CancellationToken ct)
    {
        var outcome = await DecideAndIssueAsync(identity, spiffeId, certificate, rotateRequest, signing, now, reportIssuanceFailure, ct);
        if (outcome.X509 is { NotAfter: { } notAfter, RenewalTime: { } renewal })
        {
            metrics.CertificateExpiration.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name).Set(notAfter.ToUnixTimeSeconds());
            metrics.CertificateRenewal.WithLabels(identity.Metadata.NamespaceProperty, identity.Metadata.Name).Set(renewal.ToUnixTimeSeconds());
        }
        return outcome;
    }

    private async Task<CertificateOutcome> DecideAndIssueAsync(ServiceIdentity identity, SpiffeId spiffeId, DesiredCertificate certificate, string? rotateRequest,
        TrustSnapshot signing, DateTimeOffset now, Func<Readiness, Task> reportIssuanceFailure, CancellationToken ct)
    {
        var ns = identity.Metadata.NamespaceProperty;
        var secret = await secrets.ReadAsync(ns, certificate.SecretName, ct);
        if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, identity))
        {
            return new CertificateOutcome(ManagedSecrets.Conflict(certificate.SecretName, "delete it or set spec.x509.secretName to another name"),
                identity.Status?.X509, null, null, ConflictRecheck);
        }

        var stored = secret is null ? null : SecretReader.Read(secret);
        var decision = ReissuePolicy.Evaluate(new CertificateInput(spiffeId, certificate, stored, signing.Issuers, rotateRequest, now));
        if (decision is null)
        {
            var facts = stored!.Facts!;
            // A leaf of a retiring CA moves at its place in the migration window: a wake-up, not a status change (status keeps
            // the renewal time, so a CA rotation costs each identity no status write until its certificate is reissued).
            var move = ReissuePolicy.MigrationTime(facts, signing.Issuers) is { } at && at > now ? at - now : (TimeSpan?)null;
            return new CertificateOutcome(null, X509Rendering.Status(certificate, facts), null, null, move);
        }
        if (now >= signing.Signer.NotAfter - SvidIssuer.ClockSkewAllowance)
        {
            // Nothing valid can be issued: the CA that signs has run out (an expired --ca-secret nobody replaced).
            var message = $"the CA expired at {signing.Signer.NotAfter:u} and no successor can be made: replace the CA Secret";
            return new CertificateOutcome(new Readiness(false, Reasons.IssuanceFailed, message), identity.Status?.X509, null, null, TimeSpan.FromMinutes(1));
        }

        IssuedSvid svid;
        try
        {
            svid = signing.Issuer.Issue(new SvidRequest(spiffeId, certificate.DnsNames, certificate.KeyAlgorithm, certificate.Ttl));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            await reportIssuanceFailure(new Readiness(false, Reasons.IssuanceFailed, $"could not issue a certificate: {e.GetType().Name}"));
            throw;
        }
        var request = string.IsNullOrEmpty(rotateRequest) ? stored?.RotationRequest : rotateRequest;
        // ca.crt is the newest trust set (it holds the CA that signed this leaf, which is never dropped while it signs).
        var rendered = X509Rendering.SvidSecret(identity, certificate, spiffeId, svid with { TrustBundlePem = trust().BundlePem }, request);
        SecretReader.RememberIssued(rendered, svid.Facts);
        try
        {
            await secrets.WriteAsync(rendered, secret, ct);
        }
        catch
        {
            SecretReader.ForgetIssued(rendered);
            throw;
        }
        var reason = decision.Reason switch
        {
            ReissueReasons.DueForRenewal or ReissueReasons.CaRotated => Reasons.Renewed,
            ReissueReasons.ManualRotation => Reasons.Rotated,
            _ => Reasons.Issued,
        };
        metrics.CountRotation(ns, identity.Metadata.Name, "x509");
        var issued = svid.Facts;
        logger.LogInformation("{Reason} certificate for {SpiffeId}: serial {Serial}, expires {NotAfter} ({Why})", reason, spiffeId.ToString(), issued.SerialNumber, issued.NotAfter, decision.Reason);
        return new CertificateOutcome(null, X509Rendering.Status(certificate, issued), now,
            (reason, $"{reason} certificate serial {issued.SerialNumber} (SHA-256 {issued.FingerprintSha256[..16]}...) for {spiffeId}, valid until {issued.NotAfter:u}: {decision.Message}"), null);
    }
}
