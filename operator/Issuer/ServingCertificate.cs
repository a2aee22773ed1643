using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Sigil.Authority;
using Sigil.Identity;

namespace Sigil.Issuer;

/// <summary>
/// The issuer's own X.509-SVID, held in memory only, and what TLS serves with it: the leaf and the intermediates above
/// it (clients trust the root in ca.crt). Looked at on every handshake, so a renewal or a CA rotation shows on the next
/// connection without a restart; replaced at most once per change, under a lock.
/// </summary>
internal sealed class ServingCertificate(Func<TrustSnapshot> trust, ServingNames names, TimeProvider time, ILogger logger)
{
    private readonly Lock _lock = new();
    private volatile Served? _served;

    /// <summary>The certificate now served (after the first handshake or <see cref="Current"/> call).</summary>
    public CertificateFacts? Facts => _served?.Facts;

    /// <summary>The certificate context for the next handshake, renewed first if due.</summary>
    public SslStreamCertificateContext Current()
    {
        var signer = trust().Signer;
        var served = _served;
        if (served is not null && ServingCertificatePolicy.Due(served.Facts, signer.KeyIdHex, signer.NotAfter, time.GetUtcNow()) is null)
        {
            return served.Context;
        }
        lock (_lock)
        {
            var snapshot = trust();
            served = _served;
            if (ServingCertificatePolicy.Due(served?.Facts, snapshot.Signer.KeyIdHex, snapshot.Signer.NotAfter, time.GetUtcNow()) is not { } reason)
            {
                return served!.Context;
            }
            var svid = snapshot.Issuer.Issue(names.Request(ServingCertificatePolicy.Lifetime));
            var next = Load(svid);
            _served = next;
            // Contexts already handed to handshakes in flight are left to the collector rather than disposed under them.
            logger.LogInformation("Issuer certificate issued ({Reason}): serial {Serial}, SHA-256 {Fingerprint}, valid until {NotAfter:u}, names {DnsNames} {IpAddresses}",
                reason, svid.Facts.SerialNumber, svid.Facts.FingerprintSha256, svid.Facts.NotAfter, string.Join(",", names.DnsNames), string.Join(",", names.IpAddresses));
            return next.Context;
        }
    }

    private static Served Load(IssuedSvid svid)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(svid.CertificateChainPem);
        using var ephemeral = X509Certificate2.CreateFromPem(certificates[0].ExportCertificatePem(), svid.PrivateKeyPem);
        // An ephemeral key cannot serve TLS on every platform (Windows); a PKCS#12 round trip, in memory, makes it usable.
        var leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(certificates.Skip(1).ToArray());
        return new Served(SslStreamCertificateContext.Create(leaf, intermediates, offline: true), svid.Facts);
    }

    private sealed record Served(SslStreamCertificateContext Context, CertificateFacts Facts);
}
