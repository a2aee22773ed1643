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
    /// <summary>Where metrics and health listen: every interface in a pod (the kubelet probes the pod IP); loopback under <c>sigil local</c>.</summary>
    public System.Net.IPAddress MonitoringAddress { get; init; } = System.Net.IPAddress.Any;
    public string LogFormat { get; init; } = "text";
    public string? CaSecret { get; init; }
    /// <summary>The cluster's DNS domain: the suffix of the service names an identity may claim.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";
    /// <summary>The lifetime of each self-signed root Sigil generates.</summary>
    public TimeSpan CaTtl { get; init; } = TimeSpan.FromHours(8760);
    /// <summary>The time every consumer is given to pick up a changed bundle, keys.json or Secret (kubelet sync lag).</summary>
    public TimeSpan BundlePropagation { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Requests per second the Kubernetes client may send, sustained (client-go's QPS).</summary>
    public double KubeApiQps { get; init; } = 50;
    /// <summary>Requests the Kubernetes client may send at once above the sustained rate (client-go's burst).</summary>
    public int KubeApiBurst { get; init; } = 100;
    public int Workers { get; init; } = 4;
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Why these options cannot run, as one line for the user, or null when they can.</summary>
    public string? Problem()
    {
        if (BundlePropagation < TimeSpan.Zero)
        {
            return "--bundle-propagation must not be negative";
        }
        if (CaTtl < TimeSpan.FromTicks(BundlePropagation.Ticks * 6) || CaTtl <= TimeSpan.Zero)
        {
            return $"--ca-ttl {Credentials.Durations.Format(CaTtl)} must be at least 6 x --bundle-propagation ({Credentials.Durations.Format(BundlePropagation)}): "
                + "a new CA is published a third of its lifetime before it signs, and consumers need --bundle-propagation to pick it up";
        }
        if (CaSecret is "sigil-ca-trust")
        {
            return "--ca-secret must not be sigil-ca-trust: Sigil keeps what it remembers about your CA in a Secret of that name, and never writes yours";
        }
        if (KubeApiQps <= 0 || KubeApiBurst < 1)
        {
            return "--kube-api-qps must be above 0 and --kube-api-burst at least 1";
        }
        return null;
    }

    /// <summary>This process's identity for leader election and events: the pod name, or host name plus a random suffix.</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod
        ? pod : $"{Environment.MachineName}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}
