using System.CommandLine;

namespace Sigil.Cli.Day2;

/// <summary><c>sigil inspect secret NAME</c>: what a Secret Sigil wrote holds and whether it is sound; never its key material.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var kube = new KubeAccess();
        var name = new Argument<string>("NAME") { Description = "The Secret." };
        var output = Output.Option();
        var secret = new Command("secret", "Inspect an SVID, API-key, verifier, JWT-SVID or OAuth 2.0 client Secret: ids, names, validity and checks, never key material.")
        {
            name, output,
        };
        kube.AddTo(secret);
        secret.SetAction((result, ct) => Day2Commands.RunAsync(result, async (stdout, stderr) =>
        {
            using var connection = kube.Connect(result);
            var ns = kube.NamespaceOf(result, connection);
            var secretName = result.GetValue(name)!;
            var stored = await ClusterApi.SecretAsync(connection.Client, ns, secretName, ct)
                ?? throw new CommandProblem($"Secret {ns}/{secretName} not found");
            var bundle = await ClusterApi.TrustBundleAsync(connection.Client, ns, ct);
            var now = DateTimeOffset.UtcNow;
            var report = SecretInspection.Inspect(stored, bundle, now)
                ?? throw new CommandProblem($"Secret {ns}/{secretName} is not one Sigil writes (its keys: {ClusterApi.Keys(stored)})");
            await stdout.WriteAsync(Output.Render(result.GetValue(output)!, report, r => SecretView.Render(r, now)));
            if (report.Problems.Count == 0)
            {
                return ExitCodes.Ok;
            }
            await stderr.WriteLineAsync($"sigil: Secret {ns}/{secretName}: {string.Join("; ", report.Problems)}");
            return ExitCodes.Unhealthy;
        }));
        return new Command("inspect", "Inspect what Sigil wrote.") { secret };
    }
}
