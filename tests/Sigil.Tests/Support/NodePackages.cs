namespace Sigil.Tests.Support;

/// <summary>
/// npm packages that tests use as consumers Sigil did not write (the <c>jose</c> JOSE/JWK library, the <c>openid-client</c> OAuth 2.0 client, the
/// <c>yaml</c> parser), installed once,
/// pinned, into a folder of the <see cref="ToolCache"/>; scripts run with <c>node</c> from that folder, so their
/// <c>import</c>s resolve to it.
/// </summary>
internal static class NodePackages
{
    public const string Jose = "jose@6.2.17";
    public const string OpenIdClient = "openid-client@6.9.0";
    public const string Yaml = "yaml@2.9.1";

    private static readonly Dictionary<string, Lazy<Task<string>>> Installed = new()
    {
        [Jose] = new(() => InstallAsync(Jose)),
        [OpenIdClient] = new(() => InstallAsync(OpenIdClient)),
        [Yaml] = new(() => InstallAsync(Yaml)),
    };

    /// <summary>Runs an ES module script (stdin in, stdout out) with <paramref name="package"/> importable.</summary>
    /// <param name="environment">Extra variables, such as NODE_EXTRA_CA_CERTS for a script that fetches over HTTPS.</param>
    public static async Task<ProcessResult> RunScriptAsync(string package, string script, string stdin, IReadOnlyDictionary<string, string>? environment = null)
    {
        var folder = await Installed[package].Value;
        var file = Path.Combine(folder, $"script-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(file, script);
        try
        {
            return await ProcessRunner.RunAsync("node", [file], stdin, environment, workingDirectory: folder);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> InstallAsync(string package)
    {
        var target = Path.Combine(ToolCache.Folder, "npm_" + package.Replace('@', '_').Replace('/', '_'));
        if (File.Exists(Path.Combine(target, ".installed")))
        {
            return target;
        }
        Directory.CreateDirectory(ToolCache.Folder);
        var staging = target + ".partial-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(staging);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(staging, "package.json"), """{"private": true}""");
            var install = await ProcessRunner.RunAsync("npm", ["install", package, "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact"],
                workingDirectory: staging, timeout: TimeSpan.FromMinutes(5));
            if (install.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install {package} failed: {install.Output}");
            }
            await File.WriteAllTextAsync(Path.Combine(staging, ".installed"), package);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (File.Exists(Path.Combine(target, ".installed")))
            {
                // Another test process installed it first; theirs is as good as ours.
            }
            return target;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }
}
