using System.CommandLine;
using System.Net;
using k8s.Autorest;
using k8s.Exceptions;

namespace Sigil.Cli.Day2;

/// <summary>The day-2 commands (cmctl's counterpart): status, rotate, inspect and ca. Also what `kubectl sigil` runs.</summary>
internal static class Day2Commands
{
    public static IEnumerable<Command> Create() => [StatusCommand.Create(), RotateCommand.Create(), InspectCommand.Create(), CaCommand.Create()];

    /// <summary>--sigil-namespace: where the operator keeps its CA and JWT keys (sigil run/local --namespace; both default to sigil-system).</summary>
    public static Option<string> SigilNamespace() => new("--sigil-namespace")
    {
        Description = "The operator's namespace, holding Secrets sigil-ca and sigil-jwt-keys (as given to sigil run/local --namespace).",
        DefaultValueFactory = _ => "sigil-system",
    };

    /// <summary>--timeout for --wait, written as the CRD writes durations.</summary>
    public static Option<TimeSpan> Timeout(TimeSpan defaultValue) => new("--timeout")
    {
        Description = "How long --wait waits (like 30s, 5m).",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Credentials.Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }
            result.AddError($"--timeout \"{text}\" is not a duration: write it like 30s or 5m");
            return defaultValue;
        },
    };

    /// <summary>
    /// Runs a command's body with its output and error writers, turning what the user can act on (no kubeconfig, the
    /// API refused, a name that does not exist) into one line on stderr and exit code 1, never a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult result, Func<TextWriter, TextWriter, Task<int>> body)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        try
        {
            return await body(output, error);
        }
        catch (KubeConfigException e)
        {
            await error.WriteLineAsync($"sigil: {e.Message} (give --kubeconfig PATH, set KUBECONFIG, or run in a pod)");
        }
        catch (HttpOperationException e)
        {
            await error.WriteLineAsync($"sigil: the Kubernetes API answered {(int)e.Response.StatusCode} {e.Response.StatusCode}: {ApiMessage(e)}");
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"sigil: cannot reach the Kubernetes API: {e.Message}");
        }
        catch (CommandProblem e)
        {
            await error.WriteLineAsync($"sigil: {e.Message}");
        }
        return ExitCodes.Failed;
    }

    private static string ApiMessage(HttpOperationException e)
    {
        try
        {
            using var body = System.Text.Json.JsonDocument.Parse(e.Response.Content ?? "");
            return body.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? e.Message : e.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Response.StatusCode == HttpStatusCode.Forbidden ? "forbidden" : e.Message;
        }
    }
}

/// <summary>Something the user can fix (a name that does not exist, flags that do not go together): one line, exit code 1.</summary>
internal sealed class CommandProblem(string message) : Exception(message);
