using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Hosting;
using Sigil.LocalControlPlane.Http;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Storage;
using Sigil.LocalControlPlane.Tables;

namespace Sigil.LocalControlPlane;

/// <summary>
/// An in-process Kubernetes API emulator on 127.0.0.1 over HTTPS with a bearer token, which unmodified
/// kubectl, helm and KubernetesClient talk to. <c>sigil local</c> runs one; tests start their own:
/// <code>await using var cluster = await LocalCluster.StartAsync();</code>
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private static readonly string[] InitialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private readonly WebApplication _app;
    private readonly ServingCertificates _certificates;
    private readonly ConcurrentDictionary<string, string> _tokens;
    private readonly string? _temporaryFolder;

    private LocalCluster(WebApplication app, ServingCertificates certificates, ConcurrentDictionary<string, string> tokens, Uri server,
        string kubeconfigPath, string? temporaryFolder, RequestLog requests, FaultInjector faults)
    {
        _app = app;
        _certificates = certificates;
        _tokens = tokens;
        _temporaryFolder = temporaryFolder;
        Server = server;
        KubeconfigPath = kubeconfigPath;
        Requests = requests;
        Faults = faults;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath));
    }

    public Uri Server { get; }
    public string KubeconfigPath { get; }
    public IKubernetes Client { get; }
    public RequestLog Requests { get; }
    public FaultInjector Faults { get; }
    public string AdminToken => _tokens.First(t => t.Value == "admin").Key;
    public string CaPem => _certificates.CaPem;

    public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null, CancellationToken ct = default)
    {
        options ??= new LocalClusterOptions();
        var certificates = ServingCertificates.Create(options.Time);
        var tokens = new ConcurrentDictionary<string, string> { [NewToken()] = "admin" };
        var store = new ObjectStore(options.WatchHistoryCapacity);
        var catalog = new ResourceCatalog(options.ServesClusterTrustBundles, options.ServesPodCertificateRequests);
        var objects = new ObjectService(store, catalog, options.Time);
        var requests = new RequestLog();
        var faults = new FaultInjector(store);
        var endpoint = new ApiEndpoint(objects, catalog, requests, faults, new RbacAuthorizer(store), new TableRenderer(options.Time), tokens, options.BookmarkInterval);

        var namespaces = catalog.Find("", "v1", "namespaces")!;
        foreach (var ns in InitialNamespaces)
        {
            objects.Create(namespaces, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, new WriteOptions());
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, Hosting.EmbeddedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificates.Server);
            });
        });
        var app = builder.Build();
        app.Run(endpoint.HandleAsync);
        await app.StartAsync(ct);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new Uri($"https://127.0.0.1:{new Uri(address).Port}");
        string? temporary = null;
        var kubeconfigPath = options.KubeconfigPath;
        if (kubeconfigPath is null)
        {
            temporary = Directory.CreateTempSubdirectory("sigil-local-").FullName;
            kubeconfigPath = Path.Combine(temporary, "kubeconfig");
        }
        await OwnerOnlyFile.WriteAsync(kubeconfigPath, Kubeconfig.Render(server, certificates.CaPem, tokens.Keys.First()), ct);
        return new LocalCluster(app, certificates, tokens, server, kubeconfigPath, temporary, requests, faults);
    }

    /// <summary>
    /// A client and kubeconfig for a further user with a token of its own, so tests can tell that user's
    /// requests apart in <see cref="Requests"/>. A <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> user is held
    /// to the RBAC objects in the cluster, as a ServiceAccount token is on a real one.
    /// </summary>
    public async Task<(IKubernetes Client, string KubeconfigPath)> AddUserAsync(string user, CancellationToken ct = default)
    {
        var token = NewToken();
        _tokens[token] = user;
        var path = Path.Combine(Path.GetDirectoryName(KubeconfigPath)!, $"kubeconfig-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        await OwnerOnlyFile.WriteAsync(path, Kubeconfig.Render(Server, CaPem, token, user), ct);
        return (new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)), path);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        // Open watches are long requests; close them after a moment instead of waiting out Kestrel's 30 s.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        _certificates.Dispose();
        if (_temporaryFolder is not null)
        {
            Directory.Delete(_temporaryFolder, recursive: true);
        }
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
