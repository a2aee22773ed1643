using System.Diagnostics;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// An HTTP server in Node.js that verifies Sigil-HMAC-SHA256 with its own code (<c>crypto.createHmac</c>) over the
/// request exactly as it arrived on the wire (<c>req.url</c> is the raw request target): an implementation we did not
/// write. It answers 200 <c>verified</c> or 401 with the reason.
/// </summary>
internal sealed class NodeHmacServer : IDisposable
{
    private const string Script = """
        const http = require('http'), crypto = require('crypto'), fs = require('fs');
        const secret = fs.readFileSync(process.argv[2], 'utf8'), keyId = process.argv[3];
        http.createServer((req, res) => {
          const chunks = [];
          req.on('data', c => chunks.push(c));
          req.on('end', () => {
            const body = Buffer.concat(chunks);
            const m = /^Sigil-HMAC-SHA256 keyId=([0-9a-f]+), timestamp=([0-9]+), (?:nonce=([A-Za-z0-9_-]{1,64}), )?signature=([A-Za-z0-9_-]+)$/.exec(req.headers['authorization'] || '');
            const refuse = why => { res.writeHead(401); res.end(why); };
            if (!m) return refuse('malformed authorization');
            if (m[1] !== keyId) return refuse('unknown key');
            if (Math.abs(Date.now() / 1000 - Number(m[2])) > 300) return refuse('stale timestamp');
            const toSign = [req.method, req.url, m[2], ...(m[3] === undefined ? [] : [m[3]]), crypto.createHash('sha256').update(body).digest('hex')].join('\n');
            const expected = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(toSign, 'utf8').digest('base64url');
            if (expected !== m[4]) return refuse('bad signature over ' + req.method + ' ' + req.url + ' (' + body.length + ' bytes)');
            res.writeHead(200); res.end('verified ' + req.method + ' ' + req.url + ' ' + body.length);
          });
        }).listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });
        """;

    private readonly Process _process;
    private readonly string _folder;

    private NodeHmacServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static async Task<NodeHmacServer> StartAsync(string keyId, string hmacSecret)
    {
        var folder = Directory.CreateTempSubdirectory("sigil-node-hmac-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "hmac-secret"), hmacSecret);
        await File.WriteAllTextAsync(Path.Combine(folder, "server.cjs"), Script);
        var process = ProcessRunner.Start("node", ["server.cjs", "hmac-secret", keyId], workingDirectory: folder);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill();
            Assert.Fail($"node did not start: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
        }
        return new NodeHmacServer(process, folder, int.Parse(line!["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
