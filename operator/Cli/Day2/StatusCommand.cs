using System.CommandLine;

namespace Sigil.Cli.Day2;

/// <summary><c>sigil status [NAME]</c>: identities, their credentials, and the CA and JWT keys; exit 2 naming any that is not Ready.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var kube = new KubeAccess();
        var name = new Argument<string?>("NAME") { Description = "One ServiceIdentity (default: every one in the namespace).", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Every namespace." };
        var output = Output.Option();
        var sigilNamespace = Day2Commands.SigilNamespace();
        var command = new Command("status", "Show ServiceIdentities (readiness, reason, expiry and next rotation of each credential) and the CA and JWT key state.")
        {
            name, all, output, sigilNamespace,
        };
        kube.AddTo(command);
        command.SetAction((result, ct) => Day2Commands.RunAsync(result, async (stdout, stderr) =>
        {
            using var connection = kube.Connect(result);
            var ns = kube.NamespaceOf(result, connection);
            var allNamespaces = result.GetValue(all);
            IReadOnlyList<Api.ServiceIdentity> identities;
            if (result.GetValue(name) is { } one)
            {
                identities = [await ClusterApi.IdentityAsync(connection.Client, ns, one, ct)
                    ?? throw new CommandProblem($"ServiceIdentity {ns}/{one} not found")];
                allNamespaces = false;
            }
            else
            {
                identities = await ClusterApi.IdentitiesAsync(connection.Client, allNamespaces ? null : ns, ct);
            }
            var authority = await ClusterApi.AuthorityAsync(connection.Client, result.GetValue(sigilNamespace)!, ct);
            var report = StatusRows.Report(identities, authority);
            var now = DateTimeOffset.UtcNow;
            await stdout.WriteAsync(Output.Render(result.GetValue(output)!, report, r => StatusTable.Render(r, allNamespaces, now)));
            if (report.NotReady.Count == 0)
            {
                return ExitCodes.Ok;
            }
            await stderr.WriteLineAsync($"sigil: not Ready: {string.Join(", ", report.Identities.Where(i => !i.Ready).Select(i => $"{i.Key} ({i.Reason ?? "-"})"))}");
            return ExitCodes.Unhealthy;
        }));
        return command;
    }
}
