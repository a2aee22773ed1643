using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Soak;

/// <summary>
/// Issue #11's claim: while Sigil rotates the certificates, the API keys, the HMAC secret, the JWT keys and the CA of
/// the two samples as fast as its flags allow, not one request of Payments to Orders fails.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_samples_lose_no_request_while_every_credential_and_the_CA_rotate()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;   // bin/<configuration>/net10.0
        string Sample(string name) => Path.Combine(Repository.Root, "examples", "dotnet", name, "bin", configuration, "net10.0", name + ".dll");
        var options = new SoakOptions(TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(8),
            Path.Combine(AppContext.BaseDirectory, "sigil.dll"), Sample("Orders"), Sample("Payments"), Repository.Root, output.WriteLine);

        var result = await SoakHarness.RunAsync(options, TestContext.Current.CancellationToken);
        output.WriteLine(result.Report());

        Assert.True(result.Requests > 0, result.Report());
        Assert.True(result.Failures == 0, result.Report());
        Assert.True(result.IdentityRotations >= 2 && result.CaRotations == 1, result.Report());
        Assert.True(result.PaymentsCertificates.Count >= 2 && result.OrdersCertificates.Count >= 2, result.Report());
        Assert.True(result.SigningCas.Count >= 2, result.Report());
        Assert.True(result.BearerKeys.Count >= 2 && result.HmacKeys.Count >= 2, result.Report());
        // Connections live 10 s, so renewed certificates are served and presented in new handshakes, not only written.
        Assert.True(result.ServerHandshakes.Count >= 3 && result.ClientHandshakes.Count >= 3, result.Report());
    }
}
