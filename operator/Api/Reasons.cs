namespace Sigil.Api;

/// <summary>Condition and event reasons, as PRODUCT.md names them: users and alerts match on these.</summary>
public static class Reasons
{
    public const string Issued = nameof(Issued);
    public const string Renewed = nameof(Renewed);
    public const string Rotated = nameof(Rotated);
    public const string Pending = nameof(Pending);
    public const string InvalidSpec = nameof(InvalidSpec);
    public const string SecretConflict = nameof(SecretConflict);
    public const string IssuanceFailed = nameof(IssuanceFailed);
    public const string NotAccepted = nameof(NotAccepted);
    public const string NotAllowed = nameof(NotAllowed);
    public const string RolloutRestarted = nameof(RolloutRestarted);
    /// <summary>On the CA Secret: the CA runs out soon and Sigil cannot make its successor (--ca-secret).</summary>
    public const string CAExpiring = nameof(CAExpiring);
}

/// <summary>Labels and annotations Sigil reads and writes.</summary>
public static class Labels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "sigil";
    public const string Identity = "sigil.dev/identity";
    public const string SpiffeIdAnnotation = "sigil.dev/spiffe-id";
    public const string RotateAnnotation = "sigil.dev/rotate";
    /// <summary>On a credential's Secret: the sigil.dev/rotate value it was issued for.</summary>
    public const string RotationRequestAnnotation = "sigil.dev/rotation-request";
    /// <summary>On a restarted workload's pod template: when Sigil last rolled it.</summary>
    public const string RestartedAtAnnotation = "sigil.dev/restartedAt";
    /// <summary>On a Namespace: DNS names (or "*." patterns) its identities may claim beyond its own service names.</summary>
    public const string AllowedDnsNamesAnnotation = "sigil.dev/allowed-dns-names";
}
