using System.CommandLine;
using System.Text.Json.Serialization;
using Sigil.Api;

namespace Sigil.Cli.Day2;

/// <summary>One identity a rotation was asked of, and whether status shows it (with --wait).</summary>
internal sealed record RotationRow(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("rotated")] bool? Rotated,
    [property: JsonPropertyName("x509SerialNumber")] string? X509SerialNumber,
    [property: JsonPropertyName("reason")] string? Reason = null);

/// <summary>What <c>sigil rotate</c> prints: the sigil.dev/rotate value set, and each identity.</summary>
internal sealed record RotationReport(
    [property: JsonPropertyName("request")] string Request,
    [property: JsonPropertyName("identities")] IReadOnlyList<RotationRow> Identities);

/// <summary>
/// <c>sigil rotate NAME | --all</c>: sets sigil.dev/rotate to a fresh value (every credential of the identity rotates
/// once, like <c>cmctl renew</c>) and, with --wait, returns once status.lastRotationRequest shows that value.
/// </summary>
internal static class RotateCommand
{
    /// <summary>Whether the identity's status shows the rotation asked for with <paramref name="request"/> (pure).</summary>
    public static bool Shows(ServiceIdentity identity, string request) => identity.Status?.LastRotationRequest == request;

    public static Command Create()
    {
        var kube = new KubeAccess();
        var name = new Argument<string?>("NAME") { Description = "The ServiceIdentity to rotate.", Arity = ArgumentArity.ZeroOrOne };
        var everyOne = new Option<bool>("--all") { Description = "Rotate every ServiceIdentity in the namespace (with -A: in every namespace)." };
        var allNamespaces = new Option<bool>("--all-namespaces", "-A") { Description = "With --all: every namespace." };
        var wait = new Option<bool>("--wait") { Description = "Wait until each identity's status shows the rotation." };
        var timeout = Day2Commands.Timeout(TimeSpan.FromMinutes(2));
        var output = Output.Option();
        var command = new Command("rotate", "Rotate every credential of a ServiceIdentity now (sets the sigil.dev/rotate annotation).")
        {
            name, everyOne, allNamespaces, wait, timeout, output,
        };
        kube.AddTo(command);
        command.Validators.Add(v =>
        {
            var named = v.GetValue(name) is not null;
            if (named == v.GetValue(everyOne))
            {
                v.AddError("give a ServiceIdentity NAME or --all (not both)");
            }
            if (v.GetValue(allNamespaces) && !v.GetValue(everyOne))
            {
                v.AddError("-A goes with --all");
            }
        });
        command.SetAction((result, ct) => Day2Commands.RunAsync(result, async (stdout, stderr) =>
        {
            using var connection = kube.Connect(result);
            var ns = kube.NamespaceOf(result, connection);
            IReadOnlyList<ServiceIdentity> targets = result.GetValue(name) is { } one
                ? [await ClusterApi.IdentityAsync(connection.Client, ns, one, ct) ?? throw new CommandProblem($"ServiceIdentity {ns}/{one} not found")]
                : await ClusterApi.IdentitiesAsync(connection.Client, result.GetValue(allNamespaces) ? null : ns, ct);
            var request = ClusterApi.NewRotationValue(DateTimeOffset.UtcNow);
            var table = result.GetValue(output) == Output.Table;
            foreach (var identity in targets)
            {
                await ClusterApi.RequestIdentityRotationAsync(connection.Client, identity.Metadata.NamespaceProperty, identity.Metadata.Name, request, ct);
                if (table)
                {
                    await stdout.WriteLineAsync($"{identity.Metadata.NamespaceProperty}/{identity.Metadata.Name}: rotation requested ({Labels.RotateAnnotation}={request})");
                }
            }
            var rows = targets.Select(i => new RotationRow(i.Metadata.NamespaceProperty, i.Metadata.Name, null, null)).ToList();
            var code = ExitCodes.Ok;
            if (result.GetValue(wait))
            {
                (rows, var waited) = await WaitAsync(connection, rows, request, result.GetValue(timeout), ct);
                foreach (var row in rows.Where(_ => table))
                {
                    await stdout.WriteLineAsync(row.Rotated == true
                        ? $"{row.Namespace}/{row.Name}: rotated{(row.X509SerialNumber is { } serial ? $", certificate serial {serial}" : "")}"
                        : $"{row.Namespace}/{row.Name}: status does not show the rotation yet{(row.Reason is { } reason ? $" (it is not Ready: {reason})" : "")}");
                }
                if (!waited)
                {
                    await stderr.WriteLineAsync($"sigil: timed out after {Output.Span(result.GetValue(timeout))} waiting for {string.Join(", ", rows.Where(r => r.Rotated != true).Select(r => $"{r.Namespace}/{r.Name}"))} to show {Labels.RotateAnnotation}={request} in status.lastRotationRequest");
                    code = ExitCodes.TimedOut;
                }
            }
            if (!table)
            {
                await stdout.WriteAsync(Output.Render(result.GetValue(output)!, new RotationReport(request, rows), _ => ""));
            }
            return code;
        }));
        return command;
    }

    /// <summary>Polls each identity until its status shows the request, or the timeout; returns where each stands.</summary>
    private static async Task<(List<RotationRow> Rows, bool AllRotated)> WaitAsync(KubeConnection connection, List<RotationRow> rows, string request, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                for (var i = 0; i < rows.Count; i++)
                {
                    if (rows[i].Rotated == true)
                    {
                        continue;
                    }
                    var identity = await ClusterApi.IdentityAsync(connection.Client, rows[i].Namespace, rows[i].Name, deadline.Token);
                    if (identity is not null && Shows(identity, request))
                    {
                        rows[i] = rows[i] with { Rotated = true, X509SerialNumber = identity.Status?.X509?.SerialNumber, Reason = null };
                    }
                    else if (identity is not null)
                    {
                        // An identity that cannot be issued for (NotAllowed, InvalidSpec...) never shows a rotation: say why it waits.
                        rows[i] = rows[i] with { Reason = StatusRows.Of(identity) is { Ready: false } row ? row.Reason : null };
                    }
                }
                if (rows.All(r => r.Rotated == true))
                {
                    return (rows, true);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return ([.. rows.Select(r => r with { Rotated = r.Rotated ?? false })], false);
        }
    }
}
