using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Identity;

/// <summary>What Sigil needs to know about a certificate it finds in a Secret, read once and kept immutable.</summary>
public sealed record CertificateFacts(
    string SerialNumber,
    string FingerprintSha256,
    KeyAlgorithm? KeyAlgorithm,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    IReadOnlyList<string> UriNames,
    IReadOnlyList<string> DnsNames,
    string IssuerKeyId,
    string PublicKeySpkiSha256)
{
    public static CertificateFacts Of(X509Certificate2 certificate, KeyAlgorithm? knownAlgorithm = null)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var uris = san is null ? [] : ReadUriNames(san);
        return new CertificateFacts(
            Convert.ToHexStringLower(certificate.SerialNumberBytes.Span),
            Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256)),
            knownAlgorithm ?? AlgorithmOf(certificate),
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
            uris,
            san?.EnumerateDnsNames().ToList() ?? [],
            certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier is { } aki
                ? Convert.ToHexStringLower(aki.Span) : "",
            Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo())));
    }

    public static KeyAlgorithm? AlgorithmOf(X509Certificate2 certificate)
    {
        if (certificate.GetECDsaPublicKey() is { } ec)
        {
            using (ec)
            {
                return ec.KeySize == 384 ? Identity.KeyAlgorithm.ECDSAP384 : ec.KeySize == 256 ? Identity.KeyAlgorithm.ECDSAP256 : null;
            }
        }
        if (certificate.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.KeySize switch { 2048 => Identity.KeyAlgorithm.RSA2048, 3072 => Identity.KeyAlgorithm.RSA3072, 4096 => Identity.KeyAlgorithm.RSA4096, _ => null };
            }
        }
        return certificate.PublicKey.Oid.Value == "1.3.101.112" ? Identity.KeyAlgorithm.Ed25519 : null;
    }

    // .NET enumerates DNS names and IPs but not URIs, so the GeneralNames are read with the ASN.1 reader.
    private static List<string> ReadUriNames(X509SubjectAlternativeNameExtension san)
    {
        var names = new List<string>();
        var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            if (tag == uriTag)
            {
                names.Add(reader.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag));
            }
            else
            {
                reader.ReadEncodedValue();
            }
        }
        return names;
    }
}
