using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Observability;
using Sigil.Runtime;

namespace Sigil.Credentials.Jwt;

/// <summary>What the JWT part of a pass concluded: a problem (or null), its status, when tokens were signed, the event to record, when to look again.</summary>
internal sealed record JwtOutcome(Readiness? NotReady, JwtStatus? Status, DateTimeOffset? RenewedAt, (string Reason, string Note)? Event, DateTimeOffset? NextDue);

/// <summary>
/// The act step for an identity's JWT-SVIDs: gathers its Secret and the identities its audiences name, asks
/// <see cref="JwtAudiencePolicy"/> which audiences may hold a token and <see cref="JwtRenewalPolicy"/> which tokens to
/// sign, then writes the Secret <see cref="JwtRendering"/> renders, once. An audience that is not accepted (or not there
/// yet) is left out while the others are issued. A Secret Sigil did not create is never overwritten. Tokens are never logged.
/// </summary>
internal sealed class JwtReconciler(Informer<ServiceIdentity> identities, SecretAccess secrets, string trustDomain, Func<string> issuerUrl,
    SigilMetrics metrics, ILogger logger, TimeSpan propagation = default)
{
    /// <summary>How soon to look again while no signing key is loaded (the key manager's trust change also wakes every identity).</summary>
    public static readonly TimeSpan WaitForKeyRecheck = TimeSpan.FromMinutes(1);

    public async Task<JwtOutcome?> ReconcileAsync(ServiceIdentity identity, SpiffeId spiffeId, string? rotateRequest, TrustSnapshot trust, DateTimeOffset now,
        CancellationToken ct)
    {
        var (ns, name) = (identity.Metadata.NamespaceProperty, identity.Metadata.Name);
        if (identity.Spec.Jwt is not { } spec)
        {
            metrics.JwtRenewal.RemoveLabelled(ns, name);
            return null;
        }
        var (desired, invalid) = DesiredJwt.FromSpec(identity, spec, propagation);
        if (desired is null)
        {
            return new JwtOutcome(new Readiness(false, Reasons.InvalidSpec, invalid!), identity.Status?.Jwt, null, null, null);
        }
        var secret = await secrets.ReadAsync(ns, desired.SecretName, ct);
        if (secret is not null && !ManagedSecrets.IsOwnedBy(secret, identity))
        {
            return new JwtOutcome(ManagedSecrets.Conflict(desired.SecretName, "delete it or set spec.jwt.secretName to another name"),
                identity.Status?.Jwt, null, null, now + X509.X509Reconciler.ConflictRecheck);
        }

        var verdicts = JwtAudiencePolicy.Decide(identity, desired, desired.Audiences.Count > 0 ? [.. identities.Enumerate()] : [], trustDomain);
        var stored = secret is null ? null : JwtSecretReader.Read(secret);
        var signer = trust.JwtKeys.Signer;
        var jitter = X509.RenewalSchedule.Fraction($"{ns}/{name}");
        var input = new JwtInput(spiffeId.ToString(), issuerUrl(), desired.Ttl,
            [.. verdicts.Where(v => v.Issue).Select(v => new WantedToken(v.Audience.Name, v.Aud!))],
            // The key that signs is published by definition: a set that lagged behind it must not make every token it signs look dropped.
            stored, trust.JwtKeys.Published.Append(signer).OfType<JwtSigningKey>().Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal),
            signer is not null, rotateRequest, jitter, now);
        var plan = JwtRenewalPolicy.Decide(input);

        var tokens = (stored?.Tokens ?? new Dictionary<string, StoredToken?>())
            .Where(t => t.Value is not null && plan.Remove.All(r => r.Name != t.Key))
            .ToDictionary(t => t.Key, t => t.Value!, StringComparer.Ordinal);
        (string Reason, string Note)? ev = null;
        DateTimeOffset? renewedAt = null;
        if (plan.Writes)
        {
            var data = (secret?.Data ?? new Dictionary<string, byte[]>()).Where(d => tokens.ContainsKey(d.Key))
                .ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
            // To the second, as the claims carry it, so what a pass decides equals what the next one reads back.
            var issuedAt = Timestamps.ToSecond(now);
            foreach (var decision in plan.Issue)
            {
                var wanted = input.Wanted.First(w => w.Name == decision.Name);
                data[wanted.DataKey] = System.Text.Encoding.ASCII.GetBytes(
                    JwtRendering.Token(signer!, input.Subject, wanted.Aud, input.Issuer, issuedAt, issuedAt + desired.Ttl));
                tokens[wanted.DataKey] = new StoredToken(signer!.KeyId, input.Subject, wanted.Aud, input.Issuer, issuedAt, issuedAt + desired.Ttl);
            }
            await secrets.WriteAsync(JwtRendering.Secret(identity, desired, spiffeId, data, plan.Request), secret, ct);
            var why = string.Join("; ", plan.Issue.Concat(plan.Remove).Select(d => $"{d.Name}: {d.Reason}"));
            if (plan.Issue.Count > 0)
            {
                renewedAt = issuedAt;
                metrics.CountRotation(ns, name, "jwt");
                logger.LogInformation("Signed JWT-SVIDs of {SpiffeId} with key {KeyId}, valid until {ExpiresAt} ({Why})", spiffeId.ToString(), signer!.KeyId,
                    issuedAt + desired.Ttl, why);
                // Routine renewals (four an hour per identity at the default ttl) record no event; status and the metrics show them.
                ev = plan.Issue.Any(d => d.Reason == JwtRenewalReasons.ManualRotation)
                    ? (Reasons.Rotated, $"Rotated JWT-SVIDs for {Names(plan.Issue)} with key {signer.KeyId}: sigil.dev/rotate was set to \"{plan.Request}\"")
                    : stored is null || stored.Tokens.Count == 0
                        ? (Reasons.Issued, $"Issued JWT-SVIDs for {Names(plan.Issue)} with key {signer.KeyId}, valid until {issuedAt + desired.Ttl:u}")
                        : null;
            }
            else
            {
                logger.LogInformation("Removed JWT-SVIDs of {SpiffeId} ({Why})", spiffeId.ToString(), why);
            }
        }

        var status = JwtRendering.Status(desired, tokens, jitter);
        if (status.NextRotationTime is { } next)
        {
            metrics.JwtRenewal.WithLabels(ns, name).Set(next.ToUnixTimeSeconds());
        }
        else
        {
            metrics.JwtRenewal.RemoveLabelled(ns, name);
        }
        // A receiver's problem first (the user can fix it), then the wait for a key (it resolves itself).
        var problem = verdicts.FirstOrDefault(v => v.Reason == Reasons.NotAccepted) ?? verdicts.FirstOrDefault(v => !v.Issue);
        var notReady = problem is not null ? new Readiness(false, problem.Reason!, problem.Message!)
            : plan.WaitingForKey is { } waiting ? new Readiness(false, Reasons.Pending, "jwt: " + waiting)
            : null;
        var nextDue = plan.WaitingForKey is not null && (status.NextRotationTime is null || now + WaitForKeyRecheck < status.NextRotationTime)
            ? now + WaitForKeyRecheck : status.NextRotationTime;
        return new JwtOutcome(notReady, status, renewedAt, ev, nextDue);
    }

    private static string Names(IEnumerable<TokenDecision> decisions) => string.Join(", ", decisions.Select(d => d.Name));
}
