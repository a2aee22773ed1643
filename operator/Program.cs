using System.CommandLine;
using Sigil.Cli;

var root = new RootCommand("Sigil: SPIFFE workload identities, API keys and HMAC secrets for Kubernetes, rotated safely.")
{
    RunCommand.Create(),
    LocalCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
