using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sigil.AspNetCore;

namespace Sigil.Client.Tests.AspNetCore.Kestrel;

/// <summary>
/// An unauthenticated client must never make the server fetch a URL it chose: a client certificate whose AIA
/// caIssuers names a URL (here a listener of the test's own) is refused without the server connecting to it.
/// </summary>
public sealed class AiaDownloadTests : IDisposable
{
    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task A_client_certificate_whose_AIA_names_a_URL_is_refused_without_the_server_fetching_that_URL()
    {
        var folder = _world.WriteSvidFolder("orders-aia", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));
        await using var server = await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), auth => auth.AddSigilClientCertificate());
        using var aia = new TcpListener(IPAddress.Loopback, 0);
        aia.Start();
        using var attacker = CertificateWithAia($"http://127.0.0.1:{((IPEndPoint)aia.LocalEndpoint).Port}/issuer.crt");

        var handshake = await HandshakeAsync(server.Port, attacker);
        // Give a download started by the handshake time to reach the listener.
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.False(handshake, "the handshake with an unknown issuer's certificate succeeded");
        Assert.False(aia.Pending(), "the server connected to the URL the client's certificate named (AIA caIssuers)");
    }

    /// <summary>A leaf with a SPIFFE ID of our trust domain, signed by a CA nobody trusts, whose AIA points at <paramref name="url"/>.</summary>
    private static X509Certificate2 CertificateWithAia(string url)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=attacker CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=attacker", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(SigilWorld.Payments.ToString()));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [url]));
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(16));
        using var withKey = leaf.CopyWithPrivateKey(key);
        // SslStream on Linux wants a certificate whose key it can export to OpenSSL: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static async Task<bool> HandshakeAsync(int port, X509Certificate2 certificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = SigilWorld.ServerDnsName,
                // offline: the test's own client must not fetch the URL either while building the chain it sends.
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
#pragma warning disable CA5359 // The test's client trusts any server: only the server's side is under test.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
            });
            // TLS 1.3 reports a refused client certificate only on the first read.
            await tls.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var buffer = new byte[1];
            return await tls.ReadAsync(buffer) > 0;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return false;
        }
    }
}
