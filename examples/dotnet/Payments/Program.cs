// Payments: calls Orders' GET /hello in a loop over mTLS, authorizing the server by its SPIFFE ID (any ID of our trust
// domain, or --server-id), with its API key as a Bearer token, alternating with HMAC-signed requests when --hmac is
// given (and JWT-SVIDs with --jwt). Every credential is reloaded from its folder as Sigil rotates it. Ends by printing
// `requests=N failures=M` as its last line.
//
//   dotnet run --project examples/dotnet/Payments -- --svid DIR --api-key DIR [--hmac DIR] [--jwt DIR --jwt-audience NAME]
//       --target https://127.0.0.1:8443 [--server-id SPIFFE_ID] [--duration 60s] [--connection-lifetime 1m]
using System.Collections.Concurrent;
using Sigil.Client;
using Sigil.Client.ApiKeys;
using Sigil.Client.Http;
using Sigil.Client.Jwt;
using Sigil.Client.X509;

var options = CommandLine.Parse(args);
using var svid = new X509SvidSource(options.Require("svid"));
using var apiKey = new ApiKeySource(options.Require("api-key"));
using var hmacKey = options.Get("hmac") is { } hmacDir ? new ApiKeySource(hmacDir) : null;
using var jwt = options.Get("jwt") is { } jwtDir ? new JwtSvidSource(jwtDir) : null;
var target = new Uri(options.Require("target"));
var server = options.Get("server-id") is { } id ? SpiffeIdAuthorizer.Exact(SpiffeId.Parse(id)) : SpiffeIdAuthorizer.MemberOf(svid.Current.Id.TrustDomain);

// One connection pool for every scheme; each new TLS handshake is counted under the client certificate we presented.
var handshakes = new ConcurrentDictionary<string, int>();
var tls = SigilHttpHandler.Create(svid, server, new SigilHttpHandlerOptions
{
    // A renewed certificate is presented from the next request on; this is how long a pooled connection lives (a rotated
    // trust bundle reaches pooled connections when they are replaced).
    PooledConnectionLifetime = options.Get("connection-lifetime") is { } lifetime ? CommandLine.Duration(lifetime) : TimeSpan.FromMinutes(1),
    OnHandshake = h => handshakes.AddOrUpdate(h.ClientSerialNumber ?? "none", 1, (_, n) => n + 1),
});
List<(string Name, HttpClient Client)> clients = [("bearer", Client(new ApiKeyHandler(apiKey)))];
if (hmacKey is not null)
{
    clients.Add(("hmac", Client(new HmacSigningHandler(hmacKey))));
}
if (jwt is not null)
{
    clients.Add(("jwt", Client(new JwtSvidHandler(jwt, options.Require("jwt-audience")))));
}
HttpClient Client(DelegatingHandler credential)
{
    credential.InnerHandler = tls;
    return new HttpClient(credential, disposeHandler: false) { BaseAddress = target, Timeout = TimeSpan.FromSeconds(10) };
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (options.Get("duration") is { } duration)
{
    stop.CancelAfter(CommandLine.Duration(duration));
}

long requests = 0, failures = 0;
while (!stop.IsCancellationRequested)
{
    var (name, client) = clients[(int)(requests % clients.Count)];
    requests++;
    try
    {
        using var response = await client.GetAsync("/hello", stop.Token);
        if (!response.IsSuccessStatusCode)
        {
            failures++;
            Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {name}: {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        requests--;   // cut short by the end of the run, not refused
    }
    catch (HttpRequestException e)
    {
        failures++;
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {name}: {e.Message}");
    }
    await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
}

foreach (var (serial, count) in handshakes)
{
    Console.WriteLine($"handshakes client-certificate={serial} count={count}");
}
Console.WriteLine($"requests={requests} failures={failures}");
