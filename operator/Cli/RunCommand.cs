using System.CommandLine;
using k8s;
using Sigil.Observability;
using Sigil.Operator;

namespace Sigil.Cli;

/// <summary><c>sigil run</c>: the operator against a cluster.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var flags = new OperatorFlags();
        var command = new Command("run", "Run the Sigil operator against a Kubernetes cluster.");
        flags.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var options = flags.Read(result);
            if (options.Problem() is { } problem)
            {
                Console.Error.WriteLine($"sigil: {problem}");
                return 2;
            }
            using var loggers = Logging.Create(options.LogFormat);
            // --kubeconfig, else KUBECONFIG's files, else ~/.kube/config, else in-cluster: as the client commands choose.
            var config = Day2.KubeAccess.Configuration(options.Kubeconfig);
            using var limiter = new Runtime.KubeApiLimiter(options.KubeApiQps, options.KubeApiBurst);
            using var client = new Kubernetes(config, limiter.Handler());
            await new OperatorHost(options, client, loggers, TimeProvider.System) { Limiter = limiter }.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
