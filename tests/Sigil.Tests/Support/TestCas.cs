using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Tests.Support;

/// <summary>Throwaway self-signed CA certificates, for bundles that only need to be valid PEM.</summary>
internal static class TestCas
{
    public static string CaPem(string commonName = "Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem() + "\n";
    }
}
