using System.CommandLine;
using Sigil.Cli.Day2;

namespace Sigil.Tests.Cli.Day2;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

/// <summary>Runs a day-2 command in-process through System.CommandLine, as `sigil` would, with stdout and stderr captured.</summary>
internal static class Day2Cli
{
    public static async Task<CliResult> RunAsync(string kubeconfig, params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in Day2Commands.Create())
        {
            root.Subcommands.Add(command);
        }
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await root.Parse([.. args, "--kubeconfig", kubeconfig])
            .InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
