using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Client.X509;

/// <summary>The URI SANs of a certificate, which .NET's SAN extension does not enumerate.</summary>
internal static class SubjectAlternativeNames
{
    private static readonly Asn1Tag UniformResourceIdentifier = new(TagClass.ContextSpecific, 6);

    /// <summary>Every URI SAN, or none. A malformed extension reads as none (the chain check refuses such a peer anyway).</summary>
    public static IReadOnlyList<string> Uris(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null)
        {
            return [];
        }
        try
        {
            var uris = new List<string>();
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(UniformResourceIdentifier))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UniformResourceIdentifier));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
            return uris;
        }
        catch (AsnContentException)
        {
            return [];
        }
    }

    /// <summary>The certificate's one SPIFFE ID, or why it has none (X.509-SVIDs carry exactly one URI SAN).</summary>
    public static (SpiffeId? Id, string? Problem) SpiffeIdOf(X509Certificate2 certificate)
    {
        var uris = Uris(certificate);
        if (uris.Count != 1)
        {
            return (null, $"an X.509-SVID has exactly one URI SAN, this certificate has {uris.Count}");
        }
        return SpiffeId.TryParse(uris[0], out var id) ? (id, null) : (null, "its URI SAN is not a SPIFFE ID");
    }
}
