using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sigil.Observability;

/// <summary>
/// A small HTTP listener for one job: /metrics on the metrics port, /healthz and /readyz on the health port.
/// It listens on one address: every interface in a pod, loopback under <c>sigil local</c> (a laptop on a
/// café network must not expose its operator's metrics).
/// </summary>
internal sealed class MonitoringServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MonitoringServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<MonitoringServer> StartAsync(IPAddress address, int port, RequestDelegate handler, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        app.Run(handler);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"cannot listen on port {port} ({e.Message}): choose another with --metrics-port or --health-port", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MonitoringServer(app, new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port);
    }

    public static RequestDelegate Health(Func<bool> live, Func<bool> ready) => async context =>
    {
        var (ok, body) = context.Request.Path.Value switch
        {
            "/healthz" or "/livez" => (live(), "ok"),
            "/readyz" => (ready(), ready() ? "ok" : "caches not synced"),
            _ => (false, "not found"),
        };
        context.Response.StatusCode = context.Request.Path.Value is "/healthz" or "/livez" or "/readyz" ? (ok ? 200 : 503) : 404;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(body, context.RequestAborted);
    };

    public static RequestDelegate Metrics(SigilMetrics metrics) => async context =>
    {
        if (context.Request.Path.Value != "/metrics")
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.ExportAsync(context.Response.Body, context.RequestAborted);
    };

    public async ValueTask DisposeAsync()
    {
        // Scrapers keep connections open; give them a moment, then close them rather than wait out Kestrel's 30 s.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
