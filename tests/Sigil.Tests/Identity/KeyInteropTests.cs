using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Identity;

/// <summary>
/// The keys and certificates Sigil writes are read by programs Sigil did not write (nginx, Envoy and curl use
/// OpenSSL; sidecars use Node, Go, Python). Reading them back with .NET proves nothing: .NET accepted the PKCS#8 v2
/// Ed25519 keys that OpenSSL 3.0 rejects as "unsupported".
/// </summary>
public sealed partial class KeyInteropTests
{
    private static readonly SpiffeId Payments = new("cluster.local", "shop", "payments");

    public static TheoryData<KeyAlgorithm> Algorithms => [.. Enum.GetValues<KeyAlgorithm>()];

    // What `openssl asn1parse` shows of a PKCS#8 v1 key (RFC 5208 PrivateKeyInfo; RFC 8410 section 7 for Ed25519):
    // version 0, the algorithm, the key, and nothing after it (a v2 key has version 1 and a [1] publicKey).
    private static readonly string[] EcP256 = ["0 SEQUENCE", "1 INTEGER :00", "1 SEQUENCE", "2 OBJECT :id-ecPublicKey", "2 OBJECT :prime256v1", "1 OCTET STRING"];
    private static readonly string[] EcP384 = ["0 SEQUENCE", "1 INTEGER :00", "1 SEQUENCE", "2 OBJECT :id-ecPublicKey", "2 OBJECT :secp384r1", "1 OCTET STRING"];
    private static readonly string[] Ed25519 = ["0 SEQUENCE", "1 INTEGER :00", "1 SEQUENCE", "2 OBJECT :ED25519", "1 OCTET STRING"];
    private static readonly string[] Rsa = ["0 SEQUENCE", "1 INTEGER :00", "1 SEQUENCE", "2 OBJECT :rsaEncryption", "2 NULL", "1 OCTET STRING"];

    private static readonly Dictionary<KeyAlgorithm, (string[] Outline, string NodeKeyType)> Expected = new()
    {
        [KeyAlgorithm.ECDSAP256] = (EcP256, "ec"),
        [KeyAlgorithm.ECDSAP384] = (EcP384, "ec"),
        [KeyAlgorithm.Ed25519] = (Ed25519, "ed25519"),
        [KeyAlgorithm.RSA2048] = (Rsa, "rsa"),
        [KeyAlgorithm.RSA3072] = (Rsa, "rsa"),
        [KeyAlgorithm.RSA4096] = (Rsa, "rsa"),
    };

    // Loads tls.key and the first certificate of tls.crt, compares their public keys, and signs with the key and
    // verifies with the certificate. Prints the key type; problems go to stderr with a non-zero exit.
    private const string NodeKeyCheck = """
        const crypto = require('crypto');
        const fs = require('fs');
        const key = crypto.createPrivateKey(fs.readFileSync('tls.key'));
        const cert = new crypto.X509Certificate(fs.readFileSync('tls.crt', 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)[0]);
        const spki = k => k.export({ type: 'spki', format: 'der' });
        if (!spki(crypto.createPublicKey(key)).equals(spki(cert.publicKey))) {
          console.error('the public key of tls.key is not the public key of tls.crt');
          process.exit(2);
        }
        const data = Buffer.from('a request signed by the workload');
        const digest = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
        if (!crypto.verify(digest, data, cert.publicKey, crypto.sign(digest, data, key))) {
          console.error('a signature made with tls.key does not verify with the public key of tls.crt');
          process.exit(3);
        }
        console.log(key.asymmetricKeyType);
        """;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Openssl_loads_every_SVID_key_and_finds_the_public_key_of_the_certificate(KeyAlgorithm algorithm)
    {
        using var folder = SvidFolder(algorithm);

        var fromKey = await Openssl.RunAsync(folder.Path, "pkey", "-in", "tls.key", "-pubout");
        var fromCertificate = await Openssl.RunAsync(folder.Path, "x509", "-in", "tls.crt", "-noout", "-pubkey");
        await Openssl.RunAsync(folder.Path, "pkey", "-in", "tls.key", "-noout", "-text");

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", fromKey, StringComparison.Ordinal);
        Assert.Equal(fromCertificate, fromKey);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Every_SVID_key_is_PKCS8_version_1_with_no_public_key_attached(KeyAlgorithm algorithm)
    {
        using var folder = SvidFolder(algorithm);

        var outline = Outline(await Openssl.RunAsync(folder.Path, "asn1parse", "-in", "tls.key"));

        Assert.Equal(Expected[algorithm].Outline, outline);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Openssl_verifies_every_SVID_against_the_trust_bundle(KeyAlgorithm algorithm)
    {
        using var folder = SvidFolder(algorithm);

        var verify = await Openssl.RunAsync(folder.Path, "verify", "-CAfile", "ca.crt", "tls.crt");

        Assert.Equal("tls.crt: OK", verify.Trim());
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Node_signs_with_every_SVID_key_and_verifies_the_signature_with_the_certificate(KeyAlgorithm algorithm)
    {
        using var folder = SvidFolder(algorithm);

        var keyType = await NodeScript.RunAsync(folder.Path, NodeKeyCheck);

        Assert.Equal(Expected[algorithm].NodeKeyType, keyType.Trim());
    }

    public static TheoryData<string> CertificateAuthorities => ["a root Sigil creates", "an RSA CA the platform team gives"];

    [Theory]
    [MemberData(nameof(CertificateAuthorities))]
    public async Task Openssl_and_Node_read_the_CA_key_Sigil_writes(string which)
    {
        using var ca = which == "a root Sigil creates" ? CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System) : GivenRsaCa();
        using var folder = new TempFolder();
        folder.Write("tls.key", ca.PrivateKeyPem);
        folder.Write("tls.crt", ca.CertificatesPem);
        folder.Write("ca.crt", ca.TrustBundlePem);

        var fromKey = await Openssl.RunAsync(folder.Path, "pkey", "-in", "tls.key", "-pubout");
        var fromCertificate = await Openssl.RunAsync(folder.Path, "x509", "-in", "tls.crt", "-noout", "-pubkey");
        var outline = Outline(await Openssl.RunAsync(folder.Path, "asn1parse", "-in", "tls.key"));
        var verify = await Openssl.RunAsync(folder.Path, "verify", "-CAfile", "ca.crt", "tls.crt");
        var keyType = await NodeScript.RunAsync(folder.Path, NodeKeyCheck);

        Assert.Equal(fromCertificate, fromKey);
        Assert.Equal(which == "a root Sigil creates" ? EcP256 : Rsa, outline);
        Assert.Equal("tls.crt: OK", verify.Trim());
        Assert.Equal(which == "a root Sigil creates" ? "ec" : "rsa", keyType.Trim());
    }

    private static TempFolder SvidFolder(KeyAlgorithm algorithm)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, ["payments.shop.svc"], algorithm, TimeSpan.FromHours(1)));
        var folder = new TempFolder();
        folder.Write("tls.key", svid.PrivateKeyPem);
        folder.Write("tls.crt", svid.CertificateChainPem);
        folder.Write("ca.crt", svid.TrustBundlePem);
        return folder;
    }

    private static CertificateAuthority GivenRsaCa()
    {
        using var key = RSA.Create(3072);
        var request = new CertificateRequest("O=platform, CN=platform CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return CertificateAuthority.FromPem(root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// The shape of `openssl asn1parse` output, one "depth tag" line per element, keeping only the values that are not
    /// secret (the version and object identifiers), so a failed assertion never prints key material.
    /// </summary>
    private static string[] Outline(string asn1parse) =>
        [.. asn1parse.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var m = Asn1ParseLine().Match(line);
            Assert.True(m.Success, "openssl asn1parse printed a line this test cannot read");
            var (depth, tag, value) = (m.Groups["depth"].Value, m.Groups["tag"].Value.Trim(), m.Groups["value"].Value.Trim());
            var keep = tag == "OBJECT" || (tag == "INTEGER" && depth == "1");
            return keep ? $"{depth} {tag} {value}" : $"{depth} {tag}";
        })];

    [GeneratedRegex(@"^\s*\d+:d=(?<depth>\d+)\s+hl=\d+\s+l=\s*\d+\s+(?:prim|cons):\s(?<tag>[^:\[]+(?:\[ \d+ \])?)(?<value>.*)$")]
    private static partial Regex Asn1ParseLine();

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sigil-keys-").FullName;

        public void Write(string name, string text) => File.WriteAllText(System.IO.Path.Combine(Path, name), text);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
