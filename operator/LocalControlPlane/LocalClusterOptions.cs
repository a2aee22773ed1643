namespace Sigil.LocalControlPlane;

/// <summary>How to start a <see cref="LocalCluster"/>.</summary>
internal sealed record LocalClusterOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Where to write the kubeconfig; null writes it to a fresh temporary folder.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>How many changes watches can resume from before a resourceVersion is "too old" (410).</summary>
    public int WatchHistoryCapacity { get; init; } = 10_000;

    /// <summary>How often an idle watch that asked for bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Whether certificates.k8s.io ClusterTrustBundles are served. Off, the emulator is a cluster without that
    /// API (before 1.33, or with the beta API disabled, which is the default), as most real clusters still are.
    /// </summary>
    public bool ServesClusterTrustBundles { get; init; } = true;

    /// <summary>
    /// Whether certificates.k8s.io/v1beta1 PodCertificateRequests are served. A separate switch from ClusterTrustBundles
    /// because kube-apiserver gates them separately (the PodCertificateRequest feature gate and its own runtime-config
    /// entry): a cluster can have trust bundles without pod certificates. Off, the emulator is a cluster without it.
    /// </summary>
    public bool ServesPodCertificateRequests { get; init; } = true;
}
