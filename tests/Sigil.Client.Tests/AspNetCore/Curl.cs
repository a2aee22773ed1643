using Sigil.Tests.Support;

namespace Sigil.Client.Tests.AspNetCore;

/// <summary>curl, a client we did not write, against a <see cref="SigilTestServer"/> (orders.shop.svc resolved to 127.0.0.1).</summary>
internal static class Curl
{
    /// <summary>
    /// GETs <paramref name="path"/> (POSTs <paramref name="bodyFile"/> when given); returns the exit code, the body and the HTTP status (0 when there was no response).
    /// A header with a secret is passed in a file (<c>-H @file</c>), never on the command line.
    /// </summary>
    public static async Task<(int ExitCode, string Body, int Status, string Error)> GetAsync(SigilTestServer server, string path, string caCert,
        (string Cert, string Key)? client = null, string? headerFile = null, string? bodyFile = null)
    {
        var arguments = new List<string>
        {
            "-sS", "--max-time", "20",
            "--resolve", $"{SigilWorld.ServerDnsName}:{server.Port}:127.0.0.1",
            "--cacert", caCert,
            "-w", "\n%{http_code}",
        };
        if (client is { } c)
        {
            arguments.AddRange(["--cert", c.Cert, "--key", c.Key]);
        }
        if (headerFile is not null)
        {
            arguments.AddRange(["-H", "@" + headerFile]);
        }
        if (bodyFile is not null)
        {
            arguments.AddRange(["--data-binary", "@" + bodyFile, "-H", "Content-Type: application/json"]);
        }
        // --path-as-is: curl sends the target exactly as given, as a signer expects.
        arguments.AddRange(["--path-as-is", $"https://{SigilWorld.ServerDnsName}:{server.Port}{path}"]);
        var result = await ProcessRunner.RunAsync("curl", arguments);
        var lastLine = result.Stdout.LastIndexOf('\n');
        var status = lastLine >= 0 && int.TryParse(result.Stdout[(lastLine + 1)..], out var code) ? code : 0;
        return (result.ExitCode, lastLine >= 0 ? result.Stdout[..lastLine] : result.Stdout, status, result.Stderr.Trim());
    }

    /// <summary>Writes one header line into a file for <c>-H @file</c>.</summary>
    public static string HeaderFile(SigilWorld world, string header)
    {
        var path = world.PathOf("header-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, header + "\n");
        return path;
    }
}
