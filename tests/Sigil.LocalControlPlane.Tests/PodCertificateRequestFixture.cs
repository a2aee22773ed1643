using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>
/// What kubelet sends in a PodCertificateRequest: a key of one of the accepted kinds and a proof of possession (the pod
/// UID signed with it), plus a small CA that issues certificates to that key for status updates.
/// </summary>
internal sealed class PodCertificateRequestFixture
{
    public const string PodUid = "7f1c2e6a-8d4b-4f0e-9a3c-2b5d6e7f8a9b";

    private PodCertificateRequestFixture(byte[] spki, byte[] proof)
    {
        Spki = spki;
        Proof = proof;
    }

    public byte[] Spki { get; }
    public byte[] Proof { get; }

    public static TheoryData<string> KeyKinds => ["ECDSA P-256", "ECDSA P-384", "ECDSA P-521", "RSA 3072, PSS with a hash-length salt", "RSA 4096, PSS with Go's longest salt", "Ed25519"];

    /// <summary>A key of <paramref name="keyKind"/> and its signature over <paramref name="signedUid"/> (the spec's podUID unless a test says otherwise).</summary>
    public static PodCertificateRequestFixture For(string keyKind, string signedUid = PodUid)
    {
        var message = Encoding.ASCII.GetBytes(signedUid);
        switch (keyKind)
        {
            case "ECDSA P-256" or "ECDSA P-384" or "ECDSA P-521" or "ECDSA P-224":
                var curve = keyKind switch
                {
                    "ECDSA P-256" => ECCurve.NamedCurves.nistP256,
                    "ECDSA P-384" => ECCurve.NamedCurves.nistP384,
                    "ECDSA P-521" => ECCurve.NamedCurves.nistP521,
                    _ => ECCurve.CreateFromFriendlyName("secp224r1"),
                };
                using (var ec = ECDsa.Create(curve))
                {
                    return new(ec.ExportSubjectPublicKeyInfo(), ec.SignHash(SHA256.HashData(message), DSASignatureFormat.Rfc3279DerSequence));
                }
            case "RSA 3072, PSS with a hash-length salt" or "RSA 2048":
                using (var rsa = RSA.Create(keyKind == "RSA 2048" ? 2048 : 3072))
                {
                    return new(rsa.ExportSubjectPublicKeyInfo(), rsa.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
                }
            case "RSA 4096, PSS with Go's longest salt":
                using (var rsa = RSA.Create(4096))
                {
                    var p = rsa.ExportParameters(true);
                    var key = new RsaPrivateCrtKeyParameters(Big(p.Modulus!), Big(p.Exponent!), Big(p.D!), Big(p.P!), Big(p.Q!), Big(p.DP!), Big(p.DQ!), Big(p.InverseQ!));
                    var signer = new PssSigner(new RsaEngine(), new Sha256Digest(), 512 - 32 - 2);
                    signer.Init(true, new ParametersWithRandom(key, new SecureRandom()));
                    signer.BlockUpdate(message, 0, message.Length);
                    return new(rsa.ExportSubjectPublicKeyInfo(), signer.GenerateSignature());
                }
            case "Ed25519":
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
                var pair = generator.GenerateKeyPair();
                var ed = new Ed25519Signer();
                ed.Init(true, pair.Private);
                ed.BlockUpdate(message, 0, message.Length);
                return new(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded(), ed.GenerateSignature());
            default:
                throw new ArgumentOutOfRangeException(nameof(keyKind), keyKind, "no such key kind");
        }
    }

    public static PodCertificateRequestFixture FromBytes(byte[] spki, byte[] proof) => new(spki, proof);

    public JsonObject Spec(string signerName = "example.com/pod-identity", string podUid = PodUid) => new()
    {
        ["signerName"] = signerName,
        ["podName"] = "web-0",
        ["podUID"] = podUid,
        ["serviceAccountName"] = "web",
        ["serviceAccountUID"] = "0d3c5e1a-6f8b-4a2c-9e7d-1b2c3d4e5f60",
        ["nodeName"] = "node-a",
        ["nodeUID"] = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        ["pkixPublicKey"] = Convert.ToBase64String(Spki),
        ["proofOfPossession"] = Convert.ToBase64String(Proof),
    };

    public JsonObject Request(string name, string ns, JsonObject? spec = null) => new()
    {
        ["apiVersion"] = "certificates.k8s.io/v1beta1",
        ["kind"] = "PodCertificateRequest",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = spec ?? Spec(),
    };

    /// <summary>A PEM chain (leaf, then the CA) issuing a certificate to this request's key, valid from notBefore to notAfter.</summary>
    public string IssueChain(DateTimeOffset notBefore, DateTimeOffset notAfter, byte[]? toKey = null)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Pod Identity CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(notBefore.AddDays(-1), notAfter.AddDays(1));
        var leafRequest = new CertificateRequest(new X500DistinguishedName("CN=web-0"),
            PublicKey.CreateFromSubjectPublicKeyInfo(toKey ?? Spki, out _), HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, [1, 2, 3, 4]);
        return leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n";
    }

    private static BigInteger Big(byte[] bytes) => new(1, bytes);
}
