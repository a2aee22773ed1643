using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Sigil.Identity;

/// <summary>What to put in one X.509-SVID.</summary>
public sealed record SvidRequest(SpiffeId SpiffeId, IReadOnlyList<string> DnsNames, KeyAlgorithm KeyAlgorithm, TimeSpan Ttl)
{
    /// <summary>IP address SANs, after the DNS names. Only Sigil's own issuer asks for them (--issuer-url https://127.0.0.1:...);
    /// a ServiceIdentity cannot, so an identity's certificate never carries one.</summary>
    public IReadOnlyList<System.Net.IPAddress> IpAddresses { get; init; } = [];
}

/// <summary>An issued SVID: the PEM a Secret holds, and the facts status reports (never the key).</summary>
public sealed record IssuedSvid(string CertificateChainPem, string PrivateKeyPem, string TrustBundlePem, CertificateFacts Facts)
{
    // A record prints every property by default; this one holds a private key.
    public override string ToString() => $"IssuedSvid {{ Serial = {Facts.SerialNumber} }}";
}

/// <summary>
/// Issues SPIFFE X.509-SVIDs (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md): exactly one
/// URI SAN, CA:FALSE, digitalSignature (plus keyEncipherment for RSA), serverAuth and clientAuth, a random
/// 128-bit serial, SKI and AKI, notBefore back-dated for clock skew, notAfter never past the CA's.
/// BouncyCastle builds the certificate (it encodes without re-parsing the result, which costs .NET's
/// CertificateRequest ~120 µs per certificate); the platform (OpenSSL) makes P-256/P-384/RSA keys and
/// every signature; BouncyCastle makes Ed25519 keys, which .NET lacks.
/// </summary>
public sealed class SvidIssuer
{
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(1);

    private static readonly SecureRandom BouncyRandom = new();
    private static readonly X509Name Subject = new("O=sigil");

    private readonly CertificateAuthority _ca;
    private readonly TimeProvider _time;
    private readonly PlatformSignatureFactory _signer;
    private readonly X509Name _issuer;
    private readonly AuthorityKeyIdentifier _authorityKeyId;
    private readonly string _authorityKeyIdHex;
    private readonly string _chainPem;
    private readonly string _trustBundlePem;

    /// <param name="trustBundlePem">What each SVID Secret's ca.crt holds: every trusted CA (default: this CA's anchor alone).</param>
    public SvidIssuer(CertificateAuthority ca, TimeProvider time, string? trustBundlePem = null)
    {
        _trustBundlePem = trustBundlePem ?? ca.TrustBundlePem;
        _ca = ca;
        _time = time;
        _signer = new PlatformSignatureFactory(ca.SignatureGenerator(), ca.SignatureHash);
        _issuer = X509Name.GetInstance(Asn1Object.FromByteArray(ca.Signer.SubjectName.RawData));
        var caKeyId = ca.KeyIdentifier;
        _authorityKeyId = new AuthorityKeyIdentifier(caKeyId);
        _authorityKeyIdHex = Convert.ToHexStringLower(caKeyId);
        _chainPem = string.Concat(ca.Chain.Select(c => c.ExportCertificatePem() + "\n"));
    }

    public IssuedSvid Issue(SvidRequest request)
    {
        var now = _time.GetUtcNow();
        var notBefore = Api.Timestamps.ToSecond(now - ClockSkewAllowance);
        var notAfter = Api.Timestamps.ToSecond(Min(now + request.Ttl, _ca.NotAfter));
        var (spki, privateKeyPem) = NewKey(request.KeyAlgorithm);
        var serial = NewSerial();

        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(new BigInteger(1, serial));
        generator.SetIssuerDN(_issuer);
        generator.SetSubjectDN(Subject);
        generator.SetNotBefore(notBefore.UtcDateTime);
        generator.SetNotAfter(notAfter.UtcDateTime);
        var publicKeyInfo = SubjectPublicKeyInfo.GetInstance(spki);
        generator.SetSubjectPublicKeyInfo(publicKeyInfo);
        var names = new List<GeneralName> { new(GeneralName.UniformResourceIdentifier, request.SpiffeId.ToString()) };
        names.AddRange(request.DnsNames.Select(d => new GeneralName(GeneralName.DnsName, d)));
        names.AddRange(request.IpAddresses.Select(ip => new GeneralName(GeneralName.IPAddress, new DerOctetString(ip.GetAddressBytes()))));
        generator.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames([.. names]));
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true,
            new KeyUsage(KeyUsage.DigitalSignature | (request.KeyAlgorithm.IsRsa() ? KeyUsage.KeyEncipherment : 0)));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new SubjectKeyIdentifier(KeyIdentifier(publicKeyInfo.PublicKey.GetBytes())));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, _authorityKeyId);
        var der = generator.Generate(_signer).GetEncoded();

        var facts = new CertificateFacts(
            Convert.ToHexStringLower(serial),
            Convert.ToHexStringLower(SHA256.HashData(der)),
            request.KeyAlgorithm,
            notBefore,
            notAfter,
            [request.SpiffeId.ToString()],
            [.. request.DnsNames],
            _authorityKeyIdHex,
            Convert.ToHexStringLower(SHA256.HashData(spki)));
        return new IssuedSvid(PemEncoding.WriteString("CERTIFICATE", der) + "\n" + _chainPem, privateKeyPem, _trustBundlePem, facts);
    }

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        return serial;
    }

    /// <summary>A fresh key pair: its SubjectPublicKeyInfo and its PKCS#8 v1 PEM (.NET writes v1 for EC and RSA).</summary>
    private static (byte[] Spki, string PrivateKeyPem) NewKey(KeyAlgorithm algorithm)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.ECDSAP256 or KeyAlgorithm.ECDSAP384:
                using (var ec = ECDsa.Create(algorithm == KeyAlgorithm.ECDSAP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384))
                {
                    return (ec.ExportSubjectPublicKeyInfo(), ec.ExportPkcs8PrivateKeyPem());
                }
            case KeyAlgorithm.RSA2048 or KeyAlgorithm.RSA3072 or KeyAlgorithm.RSA4096:
                using (var rsa = RSA.Create(algorithm switch { KeyAlgorithm.RSA2048 => 2048, KeyAlgorithm.RSA3072 => 3072, _ => 4096 }))
                {
                    return (rsa.ExportSubjectPublicKeyInfo(), rsa.ExportPkcs8PrivateKeyPem());
                }
            default:
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(BouncyRandom));
                var pair = generator.GenerateKeyPair();
                // PKCS#8 v1 as RFC 8410 section 7 writes it: version 0, id-Ed25519 with no parameters, the 32-byte
                // CurvePrivateKey in an OCTET STRING, no publicKey. BouncyCastle's PrivateKeyInfoFactory attaches the
                // public key (v2, OneAsymmetricKey), which OpenSSL 3.0, Node and Python's cryptography reject.
                var pkcs8 = new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                    new DerOctetString(((Ed25519PrivateKeyParameters)pair.Private).GetEncoded())).GetDerEncoded();
                return (SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded(), PemEncoding.WriteString("PRIVATE KEY", pkcs8));
        }
    }

    // RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
    private static byte[] KeyIdentifier(byte[] subjectPublicKey) => SHA256.HashData(subjectPublicKey)[..20];

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Lets BouncyCastle's certificate builder sign with the platform's key. Signatures take turns, since
    /// platform key objects are not documented as safe for concurrent use (a signature is about 30 µs).</summary>
    private sealed class PlatformSignatureFactory(X509SignatureGenerator generator, HashAlgorithmName hash) : ISignatureFactory
    {
        private readonly Lock _lock = new();

        public object AlgorithmDetails { get; } = AlgorithmIdentifier.GetInstance(generator.GetSignatureAlgorithmIdentifier(hash));

        public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(this);

        private byte[] Sign(byte[] data)
        {
            lock (_lock)
            {
                return generator.SignData(data, hash);
            }
        }

        private sealed class Calculator(PlatformSignatureFactory factory) : IStreamCalculator<IBlockResult>, IDisposable
        {
            private readonly MemoryStream _buffer = new();

            public Stream Stream => _buffer;

            public IBlockResult GetResult() => new SimpleBlockResult(factory.Sign(_buffer.ToArray()));

            public void Dispose() => _buffer.Dispose();
        }
    }
}
