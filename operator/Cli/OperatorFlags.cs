using System.CommandLine;
using Sigil.Operator;

namespace Sigil.Cli;

/// <summary>The operator's flags (PRODUCT.md, "The program"), shared by <c>sigil run</c> and <c>sigil local</c>.</summary>
internal sealed class OperatorFlags
{
    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)." };
    public Option<string> TrustDomain { get; } = new("--trust-domain") { Description = "SPIFFE trust domain.", DefaultValueFactory = _ => "cluster.local" };
    public Option<string> Namespace { get; } = new("--namespace") { Description = "The operator's own namespace, for the CA Secret and the leader Lease.", DefaultValueFactory = _ => DefaultNamespace() };
    public Option<bool> LeaderElect { get; } = new("--leader-elect") { Description = "Elect one leader among replicas through a Lease; only the leader reconciles." };
    public Option<int> MetricsPort { get; } = new("--metrics-port") { Description = "Port for Prometheus metrics at /metrics.", DefaultValueFactory = _ => 8080 };
    public Option<int> HealthPort { get; } = new("--health-port") { Description = "Port for /healthz and /readyz.", DefaultValueFactory = _ => 8081 };
    public Option<string> LogFormat { get; } = new("--log-format") { Description = "json or text.", DefaultValueFactory = _ => "text" };
    public Option<string?> CaSecret { get; } = new("--ca-secret") { Description = "Use the CA (or intermediate) in this Secret of --namespace instead of a generated root." };

    public Option<string> ClusterDomain { get; } = new("--cluster-domain") { Description = "The cluster's DNS domain, for the service names an identity may claim.", DefaultValueFactory = _ => "cluster.local" };
    public Option<TimeSpan> CaTtl { get; } = DurationOption("--ca-ttl", "Lifetime of the self-signed root CA Sigil generates (at least 6 x --bundle-propagation).", TimeSpan.FromHours(8760));
    public Option<TimeSpan> BundlePropagation { get; } = DurationOption("--bundle-propagation",
        "Time every consumer gets to pick up a changed trust bundle, keys.json or Secret before it is relied on (0s for trials).", TimeSpan.FromMinutes(10));
    public Option<TimeSpan> JwtKeyTtl { get; } = DurationOption("--jwt-key-ttl", "How long each JWT signing key signs (at least 6 x --bundle-propagation).", TimeSpan.FromHours(168));
    public Option<string> JwtKeyAlgorithm { get; } = new("--jwt-key-algorithm") { Description = "Algorithm of the JWT signing keys: ES256 or RS256.", DefaultValueFactory = _ => "ES256" };
    public Option<int> IssuerPort { get; } = new("--issuer-port") { Description = "HTTPS port of the token issuer (OIDC discovery and /keys), served by every replica.", DefaultValueFactory = _ => 8443 };
    public Option<string?> IssuerUrl { get; } = new("--issuer-url") { Description = "The issuer (iss) of every JWT Sigil signs (default https://sigil.<namespace>.svc:<issuer port>)." };
    public Option<TimeSpan> AccessTokenTtl { get; } = DurationOption("--access-token-ttl", "Lifetime of the access tokens the token endpoint issues (at most 24h).", TimeSpan.FromMinutes(15));
    public Option<double> KubeApiQps { get; } = new("--kube-api-qps") { Description = "Sustained requests per second to the Kubernetes API.", DefaultValueFactory = _ => 50 };
    public Option<int> KubeApiBurst { get; } = new("--kube-api-burst") { Description = "Requests to the Kubernetes API allowed at once above --kube-api-qps.", DefaultValueFactory = _ => 100 };

    /// <summary>
    /// <c>sigil local</c>'s rate limit: the emulator is the client's own, on loopback, and takes 10,000 identities' issuance
    /// (2 writes before Ready, 3 in all) within PRODUCT's 30 s only well above a shared cluster's 50 QPS.
    /// </summary>
    public const double LocalKubeApiQps = 2000;
    public const int LocalKubeApiBurst = 4000;

    /// <summary>Makes <c>sigil local</c>'s rate limit the default (explicit flags still win).</summary>
    public void UseLocalRateLimit()
    {
        KubeApiQps.DefaultValueFactory = _ => LocalKubeApiQps;
        KubeApiBurst.DefaultValueFactory = _ => LocalKubeApiBurst;
    }

    public void AddTo(Command command)
    {
        LogFormat.AcceptOnlyFromAmong("json", "text");
        JwtKeyAlgorithm.AcceptOnlyFromAmong("ES256", "RS256");
        foreach (var option in new Option[] { Kubeconfig, TrustDomain, Namespace, LeaderElect, MetricsPort, HealthPort, LogFormat, CaSecret,
            ClusterDomain, CaTtl, BundlePropagation, JwtKeyTtl, JwtKeyAlgorithm, IssuerPort, IssuerUrl, AccessTokenTtl, KubeApiQps, KubeApiBurst })
        {
            command.Options.Add(option);
        }
    }

    public OperatorOptions Read(ParseResult result) => new()
    {
        Kubeconfig = result.GetValue(Kubeconfig),
        TrustDomain = result.GetValue(TrustDomain)!,
        Namespace = result.GetValue(Namespace)!,
        LeaderElect = result.GetValue(LeaderElect),
        MetricsPort = result.GetValue(MetricsPort),
        HealthPort = result.GetValue(HealthPort),
        LogFormat = result.GetValue(LogFormat)!,
        CaSecret = result.GetValue(CaSecret),
        ClusterDomain = result.GetValue(ClusterDomain)!,
        CaTtl = result.GetValue(CaTtl),
        BundlePropagation = result.GetValue(BundlePropagation),
        JwtKeyTtl = result.GetValue(JwtKeyTtl),
        JwtKeyAlgorithm = result.GetValue(JwtKeyAlgorithm)!,
        IssuerPort = result.GetValue(IssuerPort),
        IssuerUrl = result.GetValue(IssuerUrl),
        AccessTokenTtl = result.GetValue(AccessTokenTtl),
        KubeApiQps = result.GetValue(KubeApiQps),
        KubeApiBurst = result.GetValue(KubeApiBurst),
    };

    /// <summary>A duration flag written as the CRD writes durations (8760h, 30s, 1h30m).</summary>
    private static Option<TimeSpan> DurationOption(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Credentials.Durations.TryParse(text, out var value))
            {
                return value;
            }
            result.AddError($"{name} \"{text}\" is not a duration: write it like 10m, 30s or 8760h");
            return defaultValue;
        },
    };

    private static string DefaultNamespace() =>
        Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns ? ns
        : File.Exists("/var/run/secrets/kubernetes.io/serviceaccount/namespace") ? File.ReadAllText("/var/run/secrets/kubernetes.io/serviceaccount/namespace").Trim()
        : "sigil-system";
}
