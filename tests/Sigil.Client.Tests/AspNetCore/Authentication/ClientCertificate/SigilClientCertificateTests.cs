using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sigil.AspNetCore;
using Sigil.Client.X509;
using Sigil.Identity;
using Sigil.Tests.Support;
using ClientSpiffeId = Sigil.Client.SpiffeId;

namespace Sigil.Client.Tests.AspNetCore.Authentication.ClientCertificate;

/// <summary>
/// AddSigilClientCertificate where no Sigil handshake checked the certificate (Kestrel's own https accepting any
/// client certificate): the handler checks it against the SVID folder's bundle and its authorizer itself.
/// </summary>
public sealed class SigilClientCertificateTests : IAsyncLifetime
{
    private static readonly string Endpoint = "/" + SigilAuthenticationDefaults.ClientCertificateScheme;

    private readonly SigilWorld _world = new();
    private readonly CapturedLogs _logs = new();
    private X509SvidSource _svid = null!;
    private WebApplication _app = null!;
    private int _port;

    public async ValueTask InitializeAsync()
    {
        _svid = _world.Own(new X509SvidSource(_world.WriteSvidFolder("orders-svid", SigilWorld.Issue(_world.Ca, SigilWorld.Orders)), SigilWorld.FastPolling));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.Services.AddSingleton<ILoggerFactory>(_logs);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = _svid.Current.Certificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (_, _, _) => true; // the handler is what is under test
        })));
        builder.Services.AddAuthentication()
            .AddSigilClientCertificate(configure: o =>
            {
                o.Svid = _svid;
                o.Authorizer = SpiffeIdAuthorizer.Exact(ClientSpiffeId.Parse(SigilWorld.Payments.ToString()));
            })
            .AddSigilClientCertificate("Unchecked");
        builder.Services.AddAuthorization();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        foreach (var scheme in new[] { SigilAuthenticationDefaults.ClientCertificateScheme, "Unchecked" })
        {
            _app.MapGet("/" + scheme, (HttpContext c) => c.User.Identity!.Name).RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = scheme });
        }
        await _app.StartAsync();
        _port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _world.Dispose();
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "a certificate from a CA that is not in the bundle, with the allowed SPIFFE ID", "stranger" },
        { "a certificate from our CA with a SPIFFE ID the authorizer refuses", "intruder" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Refuses(string because, string kind)
    {
        var svid = kind == "stranger" ? SigilWorld.Issue(_world.Stranger, SigilWorld.Payments) : SigilWorld.Issue(_world.Ca, SigilWorld.Intruder);

        Assert.True(await StatusAsync(svid, Endpoint) == HttpStatusCode.Unauthorized, because);
    }

    [Fact]
    public async Task A_scheme_with_no_bundle_to_check_against_refuses_every_certificate_and_says_how_to_fix_it()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(SigilWorld.Issue(_world.Ca, SigilWorld.Payments), "/Unchecked"));

        Assert.Contains(_logs.Lines, l => l.Contains("set SigilClientCertificateOptions.Svid or serve with UseSigilMtls", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_allowed_SVID_of_the_bundle_is_the_user()
    {
        var payments = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);
        using var client = Client(payments);

        Assert.Equal(SigilWorld.Payments.ToString(), await client.GetStringAsync(new Uri($"https://{SigilWorld.ServerDnsName}:{_port}{Endpoint}")));
    }

    private async Task<HttpStatusCode> StatusAsync(IssuedSvid svid, string path)
    {
        using var client = Client(svid);
        using var response = await client.GetAsync(new Uri($"https://{SigilWorld.ServerDnsName}:{_port}{path}"));
        return response.StatusCode;
    }

    private HttpClient Client(IssuedSvid svid) => SigilTestServer.Client(svid, _world.Ca.TrustBundlePem);
}
