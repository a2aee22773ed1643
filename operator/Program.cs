using System.CommandLine;
using Sigil.Cli;

Sigil.Runtime.SigilJson.UseForKubernetesClient();

var root = new RootCommand("Sigil: SPIFFE workload identities, API keys and HMAC secrets for Kubernetes, rotated safely.")
{
    RunCommand.Create(),
    LocalCommand.Create(),
    MountCommand.Create(),
};
foreach (var command in Sigil.Cli.Day2.Day2Commands.Create())
{
    root.Subcommands.Add(command);
}
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration
    {
        EnableDefaultExceptionHandler = false,
        // SIGTERM (the kubelet stopping the pod) and Ctrl-C cancel the command; `sigil run` then releases its Lease, stops
        // its servers and exits 0, well inside Kubernetes' default 30 s grace period. System.CommandLine's default, 2 s,
        // ended the process with 143 before the operator had logged a word of its shutdown.
        ProcessTerminationTimeout = TimeSpan.FromSeconds(25),
    });
}
catch (InvalidOperationException e)
{
    // Problems the user can fix (a busy port, a missing CA Secret) get one line, not a stack trace.
    Console.Error.WriteLine($"sigil: {e.Message}");
    return 1;
}
catch (k8s.Exceptions.KubeConfigException e)
{
    Console.Error.WriteLine($"sigil: {e.Message} (give --kubeconfig PATH, set KUBECONFIG, or run in a pod)");
    return 1;
}
