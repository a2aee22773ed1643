#if LOCAL_CONTROL_PLANE
using System.CommandLine;
using System.Net;
using Sigil.LocalControlPlane;
using Sigil.Observability;
using Sigil.Operator;

namespace Sigil.Cli;

/// <summary><c>sigil local</c>: the local control plane, with the CRDs installed and the operator running against it.</summary>
internal static class LocalCommand
{
    public static Command Create()
    {
        var flags = new OperatorFlags();
        var noOperator = new Option<bool>("--no-operator") { Description = "Serve the Kubernetes API emulator alone, without the operator." };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 for the API (default: a free port).", DefaultValueFactory = _ => 0 };
        var command = new Command("local", "Run a local Kubernetes API emulator (HTTPS on 127.0.0.1), write .sigil/kubeconfig, and run the operator against it.")
        {
            noOperator,
            port,
        };
        flags.UseLocalRateLimit();
        flags.AddTo(command);
        flags.Kubeconfig.Description = "Where to write the emulator's kubeconfig, which the operator then uses (default: .sigil/kubeconfig).";
        // Metrics, health and the issuer on loopback only: this runs on a laptop, not behind a pod network. The issuer's URL
        // is then https://127.0.0.1:<port>; when the default 8443 is taken (another sigil local), a free port serves it.
        command.SetAction((result, ct) => RunAsync(result.GetValue(port), result.GetValue(noOperator), flags.Read(result) with
        {
            MonitoringAddress = IPAddress.Loopback,
            IssuerAddress = IPAddress.Loopback,
            IssuerPortFallback = result.GetResult(flags.IssuerPort) is null or { Implicit: true } && result.GetResult(flags.IssuerUrl) is null or { Implicit: true },
        }, ct));
        return command;
    }

    private static async Task<int> RunAsync(int port, bool noOperator, OperatorOptions options, CancellationToken ct)
    {
        if (options.Problem() is { } problem)
        {
            Console.Error.WriteLine($"sigil: {problem}");
            return 2;
        }
        // --kubeconfig names where the kubeconfig is written (it is the one the operator then reads), like kind's.
        var kubeconfig = options.Kubeconfig ?? Path.Combine(".sigil", "kubeconfig");
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Port = port, KubeconfigPath = kubeconfig }, ct);
        if (!noOperator)
        {
            // The API alone stays empty, as a fresh cluster is, so `helm install` can be tried against it.
            await LocalSetup.InstallAsync(cluster.Client, options.Namespace, ct);
        }
        Console.WriteLine($"Sigil local control plane (a Kubernetes API emulator, not a real cluster) is serving {cluster.Server}");
        Console.WriteLine($"Kubeconfig written to {Path.GetFullPath(kubeconfig)}. Try:");
        Console.WriteLine($"  kubectl --kubeconfig {kubeconfig} get namespaces");
        Console.WriteLine(Path.IsPathRooted(kubeconfig) ? $"  export KUBECONFIG={kubeconfig}" : $"  export KUBECONFIG=$PWD/{kubeconfig}");
        Console.WriteLine(noOperator ? "Serving the API alone (--no-operator): no CRDs installed, no operator running." : $"The operator runs against it; metrics on {options.MonitoringAddress}:{options.MetricsPort}/metrics, health on {options.MonitoringAddress}:{options.HealthPort}/readyz.");
        Console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            if (noOperator)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            else
            {
                using var loggers = Logging.Create(options.LogFormat);
                // The operator gets a client of its own, rate-limited as in a cluster; the emulator's admin client is not.
                using var limiter = new Runtime.KubeApiLimiter(options.KubeApiQps, options.KubeApiBurst);
                using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig), limiter.Handler());
                var host = new OperatorHost(options, client, loggers, TimeProvider.System) { Limiter = limiter };
                var running = host.RunAsync(ct);
                // Not cancelled by Ctrl-C itself: it ends when the operator does, so the operator is always awaited.
                await PrintIssuerAsync(host, running, options, kubeconfig);
                await running;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return 0;
    }

    /// <summary>Once the issuer listens (its port may be a free one), says where discovery is and how to trust it.</summary>
    private static async Task PrintIssuerAsync(OperatorHost host, Task running, OperatorOptions options, string kubeconfig)
    {
        while (host.IssuerUrl is null && !running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }
        if (host.IssuerUrl is not { } issuer)
        {
            return;
        }
        // ca.crt of the CA Secret (or, with --ca-secret, of Sigil's own state Secret) is the whole trust set, as every bundle's is.
        var trustSecret = options.CaSecret is null ? Authority.AuthorityManager.DefaultSecretName : Authority.AuthorityManager.TrustStateSecretName;
        Console.WriteLine($"Token issuer (OIDC discovery): {issuer}/.well-known/openid-configuration, JWKS: {issuer}/keys. Trust it with Sigil's CA bundle:");
        Console.WriteLine($@"  kubectl --kubeconfig {kubeconfig} get secret {trustSecret} -n {options.Namespace} -o jsonpath='{{.data.ca\.crt}}' | base64 -d > ca.crt");
        Console.WriteLine(@"  (or, in a namespace with a ServiceIdentity: kubectl get configmap sigil-trust-bundle -n <namespace> -o jsonpath='{.data.ca\.crt}' > ca.crt)");
        Console.WriteLine($"  curl --cacert ca.crt {issuer}/keys");
    }
}
#else
using System.CommandLine;

namespace Sigil.Cli;

/// <summary>
/// The production build leaves the emulator out (Dockerfile, <c>IncludeLocalControlPlane=false</c>); <c>sigil local</c>
/// then says where to find it rather than being an unknown command.
/// </summary>
internal static class LocalCommand
{
    public static Command Create()
    {
        var command = new Command("local", "Not in this build: the production image leaves the local control plane out.");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("sigil: this build has no local control plane (the production image leaves it out); run `dotnet run --project operator -- local` from a clone of the repository");
            return 2;
        });
        return command;
    }
}
#endif
