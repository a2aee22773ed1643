using System.CommandLine;
using Sigil.LocalControlPlane;

namespace Sigil.Cli;

/// <summary><c>sigil local</c>: the local control plane for trying Sigil and for tests, with no cluster.</summary>
internal static class LocalCommand
{
    public static Command Create()
    {
        var noOperator = new Option<bool>("--no-operator") { Description = "Serve the Kubernetes API emulator alone, without the operator." };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 for the API (default: a free port).", DefaultValueFactory = _ => 0 };
        var command = new Command("local", "Run a local Kubernetes API emulator (HTTPS on 127.0.0.1) and write .sigil/kubeconfig for kubectl and helm.")
        {
            noOperator,
            port,
        };
        command.SetAction((result, ct) => RunAsync(result.GetValue(port), result.GetValue(noOperator), ct));
        return command;
    }

    private static async Task<int> RunAsync(int port, bool noOperator, CancellationToken ct)
    {
        var kubeconfig = Path.Combine(".sigil", "kubeconfig");
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Port = port, KubeconfigPath = kubeconfig }, ct);
        Console.WriteLine($"Sigil local control plane (a Kubernetes API emulator, not a real cluster) is serving {cluster.Server}");
        Console.WriteLine($"Kubeconfig written to {Path.GetFullPath(kubeconfig)}. Try:");
        Console.WriteLine($"  kubectl --kubeconfig {kubeconfig} get namespaces");
        Console.WriteLine($"  export KUBECONFIG=$PWD/{kubeconfig}");
        if (!noOperator)
        {
            Console.WriteLine("The operator is not part of this build yet: serving the API alone (as with --no-operator).");
        }
        Console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return 0;
    }
}
