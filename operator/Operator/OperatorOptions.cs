namespace Sigil.Operator;

/// <summary>How <c>sigil run</c> (and the operator inside <c>sigil local</c>) is configured; flags in PRODUCT.md.</summary>
internal sealed record OperatorOptions
{
    public string? Kubeconfig { get; init; }
    public string TrustDomain { get; init; } = "cluster.local";
    public string Namespace { get; init; } = "sigil-system";
    public bool LeaderElect { get; init; }
    public int MetricsPort { get; init; } = 8080;
    public int HealthPort { get; init; } = 8081;
    public string LogFormat { get; init; } = "text";
    public string? CaSecret { get; init; }
    public int Workers { get; init; } = 4;
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>This process's identity for leader election and events: the pod name, or host name plus a random suffix.</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod
        ? pod : $"{Environment.MachineName}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}
