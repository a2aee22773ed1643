namespace Sigil.Credentials.ApiKeys;

/// <summary>Everything the "is this key due?" decision looks at, gathered from the caller Secret and the identity first.</summary>
/// <param name="CurrentKeyId">The key the caller Secret presents now; null when it holds none (never issued, or emptied by hand).</param>
/// <param name="RotatedAt">When the current key was promoted (sigil.dev/rotated-at), or now when the Secret does not say.</param>
/// <param name="RotateRequest">The identity's sigil.dev/rotate value, if any.</param>
/// <param name="ActedOn">The sigil.dev/rotate value the current key was issued for (kept on the caller Secret).</param>
/// <param name="NextRequest">The sigil.dev/rotate value a next key waiting in the caller Secret was chosen for.</param>
internal sealed record RotationInput(string? CurrentKeyId, DateTimeOffset RotatedAt, string? RotateRequest, string? ActedOn, string? NextRequest,
    KeySchedule Schedule, DateTimeOffset Now);

/// <summary>
/// Whether a next key should be chosen, and why (<see cref="Reason"/> is one of <see cref="RotationReasons"/>, or null when
/// nothing is due). <see cref="Request"/> is a sigil.dev/rotate value not yet acted on: the rotation records it, so the
/// same value never rotates twice, also when the key it lands on is the first.
/// </summary>
internal sealed record RotationDecision(string? Reason, string? Request)
{
    public bool Due => Reason is not null;
}

/// <summary>Why a key rotates; log fields.</summary>
internal static class RotationReasons
{
    public const string First = nameof(First);
    public const string Manual = nameof(Manual);
    public const string Scheduled = nameof(Scheduled);
}

/// <summary>Is an API key due to rotate (pure)? The first key at once, a new sigil.dev/rotate value at once, otherwise on its schedule.</summary>
internal static class RotationPolicy
{
    public static RotationDecision Decide(RotationInput input)
    {
        // a sigil.dev/rotate value is new unless the current key or the waiting next key was chosen for it
        var request = !string.IsNullOrEmpty(input.RotateRequest) && input.RotateRequest != input.ActedOn && input.RotateRequest != input.NextRequest
            ? input.RotateRequest
            : null;
        var reason = input.CurrentKeyId is null ? RotationReasons.First // nothing is presented yet
            : request is not null ? RotationReasons.Manual // asked for by annotation
            : input.Now >= input.Schedule.NextRotation(input.RotatedAt, input.CurrentKeyId) ? RotationReasons.Scheduled // its time has come
            : null;
        return new RotationDecision(reason, request);
    }
}
