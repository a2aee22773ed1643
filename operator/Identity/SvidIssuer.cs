using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Sigil.Identity;

/// <summary>What to put in one X.509-SVID.</summary>
public sealed record SvidRequest(SpiffeId SpiffeId, IReadOnlyList<string> DnsNames, KeyAlgorithm KeyAlgorithm, TimeSpan Ttl);

/// <summary>An issued SVID: the PEM a Secret holds, and the facts status reports (never the key).</summary>
public sealed record IssuedSvid(string CertificateChainPem, string PrivateKeyPem, string TrustBundlePem, CertificateFacts Facts);

/// <summary>
/// Issues SPIFFE X.509-SVIDs (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md): exactly one
/// URI SAN, CA:FALSE, digitalSignature (plus keyEncipherment for RSA), serverAuth and clientAuth, a random
/// 128-bit serial, SKI and AKI, notBefore back-dated for clock skew, notAfter never past the CA's.
/// Keys and signatures come from the platform (OpenSSL); BouncyCastle only makes Ed25519 keys, which .NET lacks.
/// </summary>
public sealed class SvidIssuer(CertificateAuthority ca, TimeProvider time)
{
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(1);

    private static readonly SecureRandom BouncyRandom = new();

    public IssuedSvid Issue(SvidRequest request)
    {
        var now = time.GetUtcNow();
        var notBefore = now - ClockSkewAllowance;
        var notAfter = Min(now + request.Ttl, ca.NotAfter);
        var (publicKey, privateKeyPem, dispose) = NewKey(request.KeyAlgorithm);
        try
        {
            var certificateRequest = new CertificateRequest(new X500DistinguishedName("O=sigil"), publicKey, ca.SignatureHash);
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(request.SpiffeId.Uri);
            foreach (var dns in request.DnsNames)
            {
                san.AddDnsName(dns);
            }
            certificateRequest.CertificateExtensions.Add(san.Build(critical: false));
            certificateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            var usage = X509KeyUsageFlags.DigitalSignature | (request.KeyAlgorithm.IsRsa() ? X509KeyUsageFlags.KeyEncipherment : 0);
            certificateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
            certificateRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1", "serverAuth"), new Oid("1.3.6.1.5.5.7.3.2", "clientAuth")], false));
            certificateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
            certificateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Signer, true, false));

            using var leaf = certificateRequest.Create(ca.Signer.SubjectName, ca.SignatureGenerator(), notBefore, notAfter, NewSerial());
            var chainPem = leaf.ExportCertificatePem() + "\n" + string.Concat(ca.Chain.Select(c => c.ExportCertificatePem() + "\n"));
            return new IssuedSvid(chainPem, privateKeyPem, ca.TrustBundlePem, CertificateFacts.Of(leaf, request.KeyAlgorithm));
        }
        finally
        {
            dispose?.Dispose();
        }
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        return serial;
    }

    private static (PublicKey PublicKey, string PrivateKeyPem, IDisposable? Key) NewKey(KeyAlgorithm algorithm)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.ECDSAP256 or KeyAlgorithm.ECDSAP384:
                var ec = ECDsa.Create(algorithm == KeyAlgorithm.ECDSAP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
                return (new PublicKey(ec), ec.ExportPkcs8PrivateKeyPem(), ec);
            case KeyAlgorithm.RSA2048 or KeyAlgorithm.RSA3072 or KeyAlgorithm.RSA4096:
                var rsa = RSA.Create(algorithm switch { KeyAlgorithm.RSA2048 => 2048, KeyAlgorithm.RSA3072 => 3072, _ => 4096 });
                return (new PublicKey(rsa), rsa.ExportPkcs8PrivateKeyPem(), rsa);
            default:
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(BouncyRandom));
                var pair = generator.GenerateKeyPair();
                var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
                var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
                return (PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _), PemEncoding.WriteString("PRIVATE KEY", pkcs8), null);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
