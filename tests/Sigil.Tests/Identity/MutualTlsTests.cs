using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Sigil.Identity;

namespace Sigil.Tests.Identity;

/// <summary>Two services with Sigil SVIDs complete an mTLS handshake and each sees the other's SPIFFE ID.</summary>
public sealed class MutualTlsTests
{
    [Fact]
    public async Task Two_SVIDs_authenticate_each_other_and_each_side_reads_the_peers_SPIFFE_ID()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var issuer = new SvidIssuer(ca, TimeProvider.System);
        using var server = Load(issuer.Issue(new SvidRequest(new SpiffeId("cluster.local", "shop", "payments"), [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1))));
        using var client = Load(issuer.Issue(new SvidRequest(new SpiffeId("cluster.local", "web", "frontend"), [], KeyAlgorithm.ECDSAP384, TimeSpan.FromHours(1))));
        var trust = new X509Certificate2Collection();
        trust.ImportFromPem(ca.TrustBundlePem);
        string? serverSawPeer = null, clientSawPeer = null;

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = server,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, peer, _, _) => Verify(peer, trust, out serverSawPeer),
            });
            await tls.WriteAsync("ok"u8.ToArray());
        });
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var clientTls = new SslStream(connection.GetStream());
        await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "payments",
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, peer, _, _) => Verify(peer, trust, out clientSawPeer),
        });
        var buffer = new byte[2];
        await clientTls.ReadExactlyAsync(buffer);
        await serving;

        Assert.Equal("spiffe://cluster.local/ns/web/sa/frontend", serverSawPeer);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", clientSawPeer);
    }

    [Fact]
    public void A_peer_from_another_CA_is_rejected()
    {
        using var ours = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        using var theirs = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        using var stranger = Load(new SvidIssuer(theirs, TimeProvider.System).Issue(
            new SvidRequest(new SpiffeId("cluster.local", "shop", "payments"), [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1))));
        var trust = new X509Certificate2Collection();
        trust.ImportFromPem(ours.TrustBundlePem);

        Assert.False(Verify(stranger, trust, out _));
    }

    // What a SPIFFE-aware TLS stack does: chain to the trust bundle, then take the one URI SAN as the peer's identity.
    private static bool Verify(X509Certificate? peer, X509Certificate2Collection trust, out string? spiffeId)
    {
        spiffeId = null;
        if (peer is not X509Certificate2 certificate)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        if (!chain.Build(certificate))
        {
            return false;
        }
        var uris = CertificateFacts.Of(certificate).UriNames;
        spiffeId = uris.Count == 1 && uris[0].StartsWith("spiffe://cluster.local/", StringComparison.Ordinal) ? uris[0] : null;
        return spiffeId is not null;
    }

    private static X509Certificate2 Load(IssuedSvid svid)
    {
        using var pem = X509Certificate2.CreateFromPem(svid.CertificateChainPem, svid.PrivateKeyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
