using System.CommandLine;
using System.Text.Json.Serialization;
using Sigil.Api;
using Sigil.Authority;

namespace Sigil.Cli.Day2;

/// <summary>What <c>sigil ca rotate</c> prints: the value set, and (with --wait) the CA state once the operator acted on it.</summary>
internal sealed record CaRotationReport(
    [property: JsonPropertyName("request")] string Request,
    [property: JsonPropertyName("actedOn")] bool? ActedOn,
    [property: JsonPropertyName("authority")] AuthorityReport? Authority);

/// <summary><c>sigil ca status</c> and <c>sigil ca rotate</c>: the root of trust in the operator's namespace.</summary>
internal static class CaCommand
{
    public static Command Create()
    {
        var ca = new Command("ca", "The CA(s) and JWT signing keys in the operator's namespace.") { Status(), Rotate() };
        return ca;
    }

    private static Command Status()
    {
        var kube = new KubeAccess();
        var output = Output.Option();
        var sigilNamespace = Day2Commands.SigilNamespace();
        var command = new Command("status", "Show the CAs (active, prepared, retiring: notAfter, fingerprints) and the JWT keys (kid, state, times).") { output, sigilNamespace };
        kube.AddTo(command);
        command.SetAction((result, ct) => Day2Commands.RunAsync(result, async (stdout, _) =>
        {
            using var connection = kube.Connect(result);
            var report = await ClusterApi.AuthorityAsync(connection.Client, result.GetValue(sigilNamespace)!, ct);
            if (report.Error is { } error)
            {
                throw new CommandProblem(error);
            }
            var now = DateTimeOffset.UtcNow;
            await stdout.WriteAsync(Output.Render(result.GetValue(output)!, report, r => AuthorityTable.Render(r, now)));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Rotate()
    {
        var kube = new KubeAccess();
        var output = Output.Option();
        var sigilNamespace = Day2Commands.SigilNamespace();
        var wait = new Option<bool>("--wait") { Description = "Wait until the operator has prepared the new CA." };
        var timeout = Day2Commands.Timeout(TimeSpan.FromMinutes(2));
        var command = new Command("rotate", $"Prepare a new CA now (sets {Labels.RotateAnnotation} on Secret {AuthorityManager.DefaultSecretName}); it signs after --bundle-propagation.")
        {
            output, sigilNamespace, wait, timeout,
        };
        kube.AddTo(command);
        command.SetAction((result, ct) => Day2Commands.RunAsync(result, async (stdout, stderr) =>
        {
            using var connection = kube.Connect(result);
            var ns = result.GetValue(sigilNamespace)!;
            if (await ClusterApi.SecretAsync(connection.Client, ns, AuthorityManager.DefaultSecretName, ct) is null)
            {
                throw new CommandProblem(await ClusterApi.SecretAsync(connection.Client, ns, AuthorityManager.TrustStateSecretName, ct) is not null
                    ? $"the CA comes from --ca-secret, which Sigil does not rotate: put the new CA into that Secret and the old one retires"
                    : $"Secret {ns}/{AuthorityManager.DefaultSecretName} not found: is Sigil running with --namespace {ns}? (--sigil-namespace)");
            }
            var request = ClusterApi.NewRotationValue(DateTimeOffset.UtcNow);
            await ClusterApi.RequestCaRotationAsync(connection.Client, ns, request, ct);
            var table = result.GetValue(output) == Output.Table;
            if (table)
            {
                await stdout.WriteLineAsync($"{ns}/{AuthorityManager.DefaultSecretName}: CA rotation requested ({Labels.RotateAnnotation}={request})");
            }
            if (!result.GetValue(wait))
            {
                if (!table)
                {
                    await stdout.WriteAsync(Output.Render(result.GetValue(output)!, new CaRotationReport(request, null, null), _ => ""));
                }
                return ExitCodes.Ok;
            }
            var report = await WaitAsync(connection, ns, request, result.GetValue(timeout), ct);
            var acted = report?.ActedOn(request) == true;
            var now = DateTimeOffset.UtcNow;
            await stdout.WriteAsync(Output.Render(result.GetValue(output)!, new CaRotationReport(request, acted, report),
                r => (acted ? "The operator has acted on it (a new CA is prepared, or already signs with --bundle-propagation 0s):\n" : "") + (r.Authority is { } a ? AuthorityTable.Render(a, now) : "")));
            if (acted)
            {
                return ExitCodes.Ok;
            }
            await stderr.WriteLineAsync($"sigil: timed out after {Output.Span(result.GetValue(timeout))} waiting for the operator to prepare a CA for {Labels.RotateAnnotation}={request}: is it running, with --namespace {ns}?");
            return ExitCodes.TimedOut;
        }));
        return command;
    }

    private static async Task<AuthorityReport?> WaitAsync(KubeConnection connection, string ns, string request, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        AuthorityReport? last = null;
        try
        {
            while (true)
            {
                last = await ClusterApi.AuthorityAsync(connection.Client, ns, deadline.Token);
                if (last.ActedOn(request))
                {
                    return last;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return last;
        }
    }
}
