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
    /// <summary>The lifetime of each JWT signing key as the signer (--jwt-key-ttl); it stays published longer, until its tokens expire.</summary>
    public TimeSpan JwtKeyTtl { get; init; } = TimeSpan.FromHours(168);
    /// <summary>ES256 (default) or RS256: the algorithm of the JWT signing keys Sigil generates.</summary>
    public string JwtKeyAlgorithm { get; init; } = Sigil.Identity.JwtSigningKey.ES256;
    /// <summary>The port of the token issuer (OIDC discovery, /keys), served over HTTPS by every replica; 0 picks a free one.</summary>
    public int IssuerPort { get; init; } = 8443;
    /// <summary>Where the issuer listens: every interface in a pod; loopback under <c>sigil local</c>.</summary>
    public System.Net.IPAddress IssuerAddress { get; init; } = System.Net.IPAddress.Any;
    /// <summary>--issuer-url as given, or null for the default (see <see cref="EffectiveIssuerUrl"/>).</summary>
    public string? IssuerUrl { get; init; }

    /// <summary>The lifetime of each access token the token endpoint issues (--access-token-ttl).</summary>
    public TimeSpan AccessTokenTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The token endpoint's body size and rate limits (per replica).</summary>
    public Issuer.Token.TokenLimits TokenLimits { get; init; } = Issuer.Token.TokenLimits.Default;

    /// <summary><c>sigil local</c> without --issuer-port: when 8443 is taken on the laptop, listen on a free port rather than fail.</summary>
    public bool IssuerPortFallback { get; init; }

    /// <summary>
    /// The <c>iss</c> of every JWT Sigil signs: --issuer-url, by default <c>https://sigil.&lt;namespace&gt;.svc:&lt;issuer port&gt;</c>;
    /// for an issuer listening on loopback only (<c>sigil local</c>), <c>https://127.0.0.1:&lt;port&gt;</c>, the one address that reaches it.
    /// </summary>
    public string EffectiveIssuerUrl(int? boundPort = null) =>
        IssuerUrl is { Length: > 0 } url ? url.TrimEnd('/')
        : System.Net.IPAddress.IsLoopback(IssuerAddress)
            ? $"https://{(IssuerAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[::1]" : "127.0.0.1")}:{boundPort ?? IssuerPort}"
            : $"https://sigil.{Namespace}.svc:{boundPort ?? IssuerPort}";

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
        if (JwtKeyTtl < TimeSpan.FromTicks(BundlePropagation.Ticks * 6) || JwtKeyTtl <= TimeSpan.Zero)
        {
            return $"--jwt-key-ttl {Credentials.Durations.Format(JwtKeyTtl)} must be at least 6 x --bundle-propagation ({Credentials.Durations.Format(BundlePropagation)}): "
                + "a new JWT key is published --bundle-propagation before it signs, and consumers need that time to pick it up";
        }
        if (!Sigil.Identity.JwtSigningKey.IsSupported(JwtKeyAlgorithm))
        {
            return $"--jwt-key-algorithm \"{JwtKeyAlgorithm}\" is not supported: use ES256 or RS256";
        }
        if (IssuerPort is < 0 or > 65535)
        {
            return $"--issuer-port {IssuerPort} is not a port: use 1 to 65535 (0 picks a free one)";
        }
        if (IssuerUrl is { Length: > 0 } issuer && (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || uri.Scheme != "https"
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo)))
        {
            return $"--issuer-url \"{issuer}\" must be an https URL with no query or fragment (OpenID Connect Discovery 1.0, section 2), like https://sigil.example.com";
        }
        if (AccessTokenTtl <= TimeSpan.Zero || AccessTokenTtl > Authority.JwtKeyLifecycle.MaxTokenLifetime)
        {
            return $"--access-token-ttl {Credentials.Durations.Format(AccessTokenTtl)} must be above 0 and at most {Credentials.Durations.Format(Authority.JwtKeyLifecycle.MaxTokenLifetime)}: "
                + "a retired JWT key stays published only that long, so a longer-lived token would outlive the key that verifies it";
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
