namespace Sigil.Tests.Support;

/// <summary>
/// Runs the openssl command line, a consumer of Sigil's PEM files that Sigil did not write. A failure shows only
/// stderr: stdout of commands such as <c>pkey -text</c> or <c>asn1parse</c> on a private key is key material.
/// </summary>
internal static class Openssl
{
    /// <summary>Runs openssl in <paramref name="folder"/>, fails the test unless it exits 0, and returns its stdout.</summary>
    public static async Task<string> RunAsync(string folder, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("openssl", arguments, workingDirectory: folder);
        Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr.Trim()}");
        return result.Stdout;
    }
}
