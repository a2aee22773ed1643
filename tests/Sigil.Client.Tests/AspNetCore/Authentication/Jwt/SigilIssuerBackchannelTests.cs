using Microsoft.AspNetCore.Builder;
using Sigil.AspNetCore;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;
using Sigil.Identity;
using OperatorSpiffeId = Sigil.Identity.SpiffeId;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>
/// Any identity in the operator's namespace can get the issuer's Service name as a DNS name of its SVID: given the
/// issuer's SPIFFE ID, the backchannel refuses every other server that matches the host.
/// </summary>
public sealed class SigilIssuerBackchannelTests : IDisposable
{
    private static readonly OperatorSpiffeId Issuer = new(SigilWorld.TrustDomain, "sigil-system", "sigil");
    private static readonly OperatorSpiffeId Impostor = new(SigilWorld.TrustDomain, "sigil-system", "someone-else");

    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    private async Task<SigilTestServer> ServerAsync(OperatorSpiffeId id)
    {
        var svid = new SvidIssuer(_world.Ca, TimeProvider.System).Issue(new SvidRequest(id, ["localhost"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        var folder = _world.WriteSvidFolder("issuer-" + id.ServiceAccount, svid);
        return await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), mtls: new SigilMtlsOptions { RequireClientCertificate = false },
            endpoints: app => app.MapGet("/keys", () => "{\"keys\":[]}"), perEndpoint: true);
    }

    [Fact]
    public async Task Given_the_issuers_SPIFFE_ID_the_backchannel_refuses_another_SVID_that_names_the_host_and_accepts_the_issuer()
    {
        var bundle = TrustBundle.FromPem(_world.Ca.TrustBundlePem, "test bundle", SigilWorld.TrustDomain);
        var issuerOnly = SpiffeIdAuthorizer.Exact(SpiffeId.Parse(Issuer.ToString()));
        await using var impostor = await ServerAsync(Impostor);
        await using var issuer = await ServerAsync(Issuer);
        using var http = new HttpClient(SigilIssuerBackchannel.Create(() => bundle, issuerOnly));

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"https://localhost:{impostor.Port}/keys", TestContext.Current.CancellationToken));
        Assert.Equal("{\"keys\":[]}", await http.GetStringAsync($"https://localhost:{issuer.Port}/keys", TestContext.Current.CancellationToken));
    }
}
