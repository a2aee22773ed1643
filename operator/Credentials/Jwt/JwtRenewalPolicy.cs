using Sigil.Api;

namespace Sigil.Credentials.Jwt;

/// <summary>A token the Secret should hold: its name in spec.jwt.audiences and the aud consent resolved it to.</summary>
internal sealed record WantedToken(string Name, string Aud)
{
    public string DataKey => Name + DesiredAudience.KeySuffix;
}

/// <summary>Everything the renewal decision looks at; gathered first, so the decision is a pure function.</summary>
/// <param name="Wanted">The audiences that may hold a token now (those not accepted or pending are not here).</param>
/// <param name="Stored">The Secret as read, or null when it does not exist.</param>
/// <param name="PublishedKeyIds">Every kid the trust bundles publish now.</param>
/// <param name="SignerAvailable">Whether a JWT signing key is loaded (none before the first is made).</param>
/// <param name="RotateRequest">The identity's sigil.dev/rotate value, if any.</param>
/// <param name="Jitter">A number in [0, 1] derived from the identity: its place in the jitter window.</param>
internal sealed record JwtInput(
    string Subject,
    string Issuer,
    TimeSpan Ttl,
    IReadOnlyList<WantedToken> Wanted,
    StoredJwts? Stored,
    IReadOnlySet<string> PublishedKeyIds,
    bool SignerAvailable,
    string? RotateRequest,
    double Jitter,
    DateTimeOffset Now);

/// <summary>Why a token is (re)issued or dropped; log fields, and named in table tests.</summary>
internal static class JwtRenewalReasons
{
    public const string SecretMissing = nameof(SecretMissing);
    public const string AudienceAdded = nameof(AudienceAdded);
    public const string TokenUnreadable = nameof(TokenUnreadable);
    public const string AudienceChanged = nameof(AudienceChanged);
    public const string SubjectChanged = nameof(SubjectChanged);
    public const string IssuerChanged = nameof(IssuerChanged);
    public const string SigningKeyDropped = nameof(SigningKeyDropped);
    public const string TtlChanged = nameof(TtlChanged);
    public const string ManualRotation = nameof(ManualRotation);
    public const string DueForRenewal = nameof(DueForRenewal);
    public const string AudienceRemoved = nameof(AudienceRemoved);
}

/// <summary>One token to sign (or drop), and why.</summary>
internal sealed record TokenDecision(string Name, string Reason, string Message);

/// <summary>
/// What to write: the tokens to sign, the keys to drop, and the sigil.dev/rotate value the write acts on. When tokens need
/// signing but no key is loaded, <see cref="WaitingForKey"/> says so and nothing is signed: a wait, not an error.
/// </summary>
internal sealed record JwtPlan(IReadOnlyList<TokenDecision> Issue, IReadOnlyList<TokenDecision> Remove, string? Request, string? WaitingForKey)
{
    public bool Writes => Issue.Count > 0 || Remove.Count > 0;
}

/// <summary>
/// Decides, per token, whether to sign a new one, as a chain of checks evaluated in order, stopping at the first that
/// fails (as <see cref="X509.ReissuePolicy"/>). Tokens renew at half their lifetime, pulled earlier by at most 10% of it
/// (never later), at a place in that window derived from the identity, so every pass and replica computes the same time.
/// When one token is due, the Secret's others are renewed with it: one write per renewal, and tokens that were issued
/// apart (an audience accepted later) line up again.
/// </summary>
internal static class JwtRenewalPolicy
{
    private static readonly TimeSpan TtlTolerance = TimeSpan.FromSeconds(1);

    private static readonly (string Reason, Func<JwtInput, WantedToken, StoredToken?, string?> Check)[] Chain =
    [
        // make sure the Secret exists
        (JwtRenewalReasons.SecretMissing, (i, _, _) => i.Stored is null ? "the Secret does not exist" : null),
        // a token for every audience that may hold one (new in the spec, newly accepted, or removed by hand)
        (JwtRenewalReasons.AudienceAdded, (i, w, _) => i.Stored!.Tokens.ContainsKey(w.DataKey) ? null : $"the Secret has no {w.DataKey}"),
        // a compact JWS with every claim a JWT-SVID has
        (JwtRenewalReasons.TokenUnreadable, (_, w, t) => t is null ? $"{w.DataKey} is not a JWT-SVID Sigil can read" : null),
        // aud as consent resolved it (the spec's audience changed, or its receiver's SPIFFE ID did)
        (JwtRenewalReasons.AudienceChanged, (_, w, t) => t!.Audience == w.Aud ? null : $"its aud is {t.Audience}, not {w.Aud}"),
        // sub is the identity's SPIFFE ID (spec.serviceAccountName or --trust-domain changed)
        (JwtRenewalReasons.SubjectChanged, (i, _, t) => t!.Subject == i.Subject ? null : $"its sub is {t.Subject}, not {i.Subject}"),
        // iss is --issuer-url
        (JwtRenewalReasons.IssuerChanged, (i, _, t) => t!.Issuer == i.Issuer ? null : $"its iss is {t.Issuer}, not {i.Issuer}"),
        // signed by a key verifiers can still find (a dropped key's tokens verify nowhere)
        (JwtRenewalReasons.SigningKeyDropped, (i, _, t) => i.PublishedKeyIds.Contains(t!.KeyId) ? null : $"its signing key {t.KeyId} is no longer published"),
        // valid for spec.jwt.ttl
        (JwtRenewalReasons.TtlChanged, (i, _, t) => ((t!.ExpiresAt - t.IssuedAt) - i.Ttl).Duration() <= TtlTolerance ? null : $"spec.jwt.ttl is {Durations.Format(i.Ttl)}"),
        // a new sigil.dev/rotate value asks for one rotation
        (JwtRenewalReasons.ManualRotation, (i, _, _) => NewRequest(i) is { } r ? $"sigil.dev/rotate was set to \"{r}\"" : null),
        // half its lifetime, jittered early
        (JwtRenewalReasons.DueForRenewal, (i, _, t) => i.Now >= RenewalTime(t!, i.Jitter) ? $"renewal was due at {RenewalTime(t!, i.Jitter):u}" : null),
    ];

    public static JwtPlan Decide(JwtInput input)
    {
        var issue = new List<TokenDecision>();
        foreach (var wanted in input.Wanted)
        {
            var stored = input.Stored?.Tokens.GetValueOrDefault(wanted.DataKey);
            foreach (var (reason, check) in Chain)
            {
                if (check(input, wanted, stored) is { } message)
                {
                    issue.Add(new TokenDecision(wanted.Name, reason, message));
                    break;
                }
            }
        }
        if (issue.FirstOrDefault(d => d.Reason == JwtRenewalReasons.DueForRenewal) is { } due)
        {
            // Renew the others with it: each would be due within half a lifetime anyway, and a write costs the same for one token or all.
            issue = [.. input.Wanted.Select(w => issue.FirstOrDefault(d => d.Name == w.Name)
                ?? new TokenDecision(w.Name, JwtRenewalReasons.DueForRenewal, $"renewed with {due.Name}, whose renewal was due")) ];
        }
        var wantedKeys = input.Wanted.Select(w => w.DataKey).ToHashSet(StringComparer.Ordinal);
        // Every other key goes: an audience removed from the spec, or one whose receiver no longer accepts this identity.
        var remove = (input.Stored?.Tokens.Keys ?? []).Where(k => !wantedKeys.Contains(k)).Order(StringComparer.Ordinal)
            .Select(k => new TokenDecision(k, JwtRenewalReasons.AudienceRemoved, $"{k} is for no audience this identity may hold a token for")).ToList();
        if (issue.Count > 0 && !input.SignerAvailable)
        {
            return new JwtPlan([], remove, null, "no JWT signing key is loaded yet; the JWT-SVIDs are issued as soon as one is");
        }
        return new JwtPlan(issue, remove, issue.Count > 0 ? NewRequest(input) ?? input.Stored?.RotationRequest : input.Stored?.RotationRequest, null);
    }

    /// <summary>
    /// Half the token's lifetime after it was issued, pulled earlier by <paramref name="jitter"/> × 10% of its lifetime; to
    /// the second, rounded down, so it is never later.
    /// </summary>
    public static DateTimeOffset RenewalTime(StoredToken token, double jitter)
    {
        var lifetime = token.ExpiresAt - token.IssuedAt;
        var early = TimeSpan.FromTicks((long)(lifetime.Ticks / 10 * Math.Clamp(jitter, 0, 1)));
        return Timestamps.ToSecond(token.IssuedAt + lifetime / 2 - early);
    }

    /// <summary>A sigil.dev/rotate value the tokens were not yet renewed for, or null.</summary>
    private static string? NewRequest(JwtInput i) =>
        !string.IsNullOrEmpty(i.RotateRequest) && i.RotateRequest != i.Stored?.RotationRequest ? i.RotateRequest : null;
}
