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

    public void AddTo(Command command)
    {
        LogFormat.AcceptOnlyFromAmong("json", "text");
        foreach (var option in new Option[] { Kubeconfig, TrustDomain, Namespace, LeaderElect, MetricsPort, HealthPort, LogFormat, CaSecret })
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
    };

    private static string DefaultNamespace() =>
        Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns ? ns
        : File.Exists("/var/run/secrets/kubernetes.io/serviceaccount/namespace") ? File.ReadAllText("/var/run/secrets/kubernetes.io/serviceaccount/namespace").Trim()
        : "sigil-system";
}
