namespace Sigil.Tests.Support;

/// <summary>
/// Runs a Node.js script (Node's built-in modules need no install), a consumer of Sigil's output that Sigil did not
/// write. Scripts report problems on stderr and exit non-zero; a failure shows only stderr, so a script may print
/// secrets to stdout for the test to compare without them reaching the test output.
/// </summary>
internal static class NodeScript
{
    /// <summary>Writes <paramref name="script"/> into <paramref name="folder"/>, runs it there with
    /// <paramref name="arguments"/>, fails the test unless it exits 0, and returns its stdout.</summary>
    public static async Task<string> RunAsync(string folder, string script, params string[] arguments)
    {
        var path = Path.Combine(folder, $"script-{Guid.NewGuid():N}.cjs");
        await File.WriteAllTextAsync(path, script);
        var result = await ProcessRunner.RunAsync("node", [path, .. arguments], workingDirectory: folder);
        Assert.True(result.ExitCode == 0, $"node exited {result.ExitCode}: {result.Stderr.Trim()}");
        return result.Stdout;
    }
}
