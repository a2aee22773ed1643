using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// <c>openssl s_server -www</c>: a TLS server we did not write. It requires a client certificate that chains to the
/// bundle it is given (<c>-Verify 1</c>) and answers each GET with a page describing the session, the client
/// certificate included.
/// </summary>
internal sealed class OpensslServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private OpensslServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
        _process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Folder { get; }

    public Uri Url => new($"https://127.0.0.1:{Port}/");

    /// <summary>What the server printed (its log of handshakes; never key material: it prints no keys).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Serves <paramref name="server"/> (its chain and key) and requires a client certificate from <paramref name="clientBundlePem"/>.</summary>
    public static async Task<OpensslServer> StartAsync(IssuedSvid server, string clientBundlePem)
    {
        var folder = Directory.CreateTempSubdirectory("sigil-s_server-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "server.crt"), server.CertificateChainPem);
        await File.WriteAllTextAsync(Path.Combine(folder, "server.key"), server.PrivateKeyPem);
        await File.WriteAllTextAsync(Path.Combine(folder, "bundle.crt"), clientBundlePem);
        var port = FreePort();
        var process = ProcessRunner.Start("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port}", "-Verify", "1", "-verify_return_error", "-CAfile", "bundle.crt",
             "-cert", "server.crt", "-key", "server.key", "-www"], workingDirectory: folder);
        var started = new OpensslServer(process, port, folder);
        await started.WaitUntilListeningAsync();
        return started;
    }

    /// <summary>The serial number as openssl prints a long one: lowercase hex pairs joined by colons.</summary>
    public static string OpensslSerial(string lowercaseHex) => string.Join(':', lowercaseHex.Chunk(2).Select(c => new string(c)));

    private async Task WaitUntilListeningAsync()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (Log.Contains("ACCEPT", StringComparison.Ordinal))
            {
                return;
            }
            Assert.False(_process.HasExited, $"openssl s_server exited: {Log}");
            await Task.Delay(50);
        }
        Assert.Fail($"openssl s_server did not start: {Log}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
