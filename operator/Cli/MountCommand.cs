using System.CommandLine;
using k8s;
using Microsoft.Extensions.Logging;
using Sigil.Mount;
using Sigil.Observability;

namespace Sigil.Cli;

/// <summary>
/// <c>sigil mount -n NAMESPACE SECRET=DIR ...</c>: keeps each folder in step with its Secret (or
/// <c>configmap/NAME</c>) as the kubelet keeps a Secret volume, so an application on a laptop reads and reloads
/// real rotating credentials exactly as it would in a pod.
/// </summary>
internal static class MountCommand
{
    public static Command Create()
    {
        var access = new Day2.KubeAccess();
        var once = new Option<bool>("--once") { Description = "Write each folder once and exit; fails when a Secret does not exist." };
        var targets = new Argument<MountTarget[]>("SECRET=DIR")
        {
            Description = "A Secret and the folder to keep in step with it; configmap/NAME=DIR for a ConfigMap (sigil-trust-bundle), secret/NAME=DIR is NAME=DIR.",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result =>
            {
                var parsed = new List<MountTarget>();
                foreach (var token in result.Tokens)
                {
                    var parse = MountTarget.Parse(token.Value);
                    if (parse.Error is { } error)
                    {
                        result.AddError(error);
                        return [];
                    }
                    parsed.Add(parse.Target!);
                }
                var twice = parsed.GroupBy(t => Path.TrimEndingDirectorySeparator(Path.GetFullPath(t.Directory))).FirstOrDefault(g => g.Count() > 1);
                if (twice is not null)
                {
                    result.AddError($"{twice.Key} is named twice: each folder follows one Secret");
                }
                return [.. parsed];
            },
        };
        var command = new Command("mount", "Keep folders in step with Secrets (or ConfigMaps) as the kubelet does: an atomic ..data swap on every change.")
        {
            once,
            targets,
        };
        access.AddTo(command);
        command.SetAction((result, ct) => RunAsync(result.GetValue(targets)!, access, result, result.GetValue(once), ct));
        return command;
    }

    private static async Task<int> RunAsync(MountTarget[] targets, Day2.KubeAccess access, ParseResult result, bool once, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            Console.Error.WriteLine("sigil: sigil mount needs symbolic links and Unix file modes; it runs on Linux and macOS");
            return 1;
        }
        // Checked before anything is written, so a mistyped folder stops the whole command, not one target of several.
        if (targets.Select(t => AtomicWriter.Refusal(t.Directory)).FirstOrDefault(r => r is not null) is { } refusal)
        {
            Console.Error.WriteLine($"sigil: {refusal}");
            return 1;
        }
        Day2.KubeConnection connection;
        try
        {
            connection = access.Connect(result);
        }
        catch (k8s.Exceptions.KubeConfigException e)
        {
            Console.Error.WriteLine($"sigil: {e.Message}");
            return 1;
        }
        using var _ = connection;
        var ns = access.NamespaceOf(result, connection);
        using var loggers = Logging.Create("text");
        var logger = loggers.CreateLogger("sigil.mount");
        var followers = targets.Select(t => new SecretFollower(connection.Client, ns, t, logger, TimeProvider.System)).ToList();
        try
        {
            if (once)
            {
                foreach (var follower in followers)
                {
                    if (await follower.WriteOnceAsync(ct) is null)
                    {
                        Console.Error.WriteLine($"sigil: {follower.Target.Source} does not exist in namespace {ns}");
                        return 1;
                    }
                }
                return 0;
            }
            await Task.WhenAll(followers.Select(f => f.RunAsync(ct)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (once && e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            // Following retries these with backoff; writing once has nothing to wait for, so it says what failed.
            var what = e is k8s.Autorest.HttpOperationException { Response: { } response } ? $"the API server answered {(int)response.StatusCode} {response.StatusCode}" : e.Message;
            Console.Error.WriteLine($"sigil: reading from namespace {ns} failed: {what}");
            return 1;
        }
        return 0;
    }
}
