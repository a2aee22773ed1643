using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials.X509;

/// <summary>What an X.509-SVID becomes (pure): its mTLS Secret, its part of status, and its part of the Ready message.</summary>
internal static class X509Rendering
{
    public static V1Secret SvidSecret(ServiceIdentity identity, DesiredCertificate desired, SpiffeId spiffeId, IssuedSvid svid, string? rotationRequest)
    {
        var annotations = new Dictionary<string, string> { [Labels.SpiffeIdAnnotation] = spiffeId.ToString() };
        ManagedSecrets.AddIfSet(annotations, Labels.RotationRequestAnnotation, rotationRequest);
        return ManagedSecrets.ManagedSecret(identity, desired.SecretName, "kubernetes.io/tls", annotations, new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(svid.PrivateKeyPem),
            ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
        });
    }

    /// <summary>status.x509 for the certificate <paramref name="facts"/> describes, with the time it renews.</summary>
    public static X509Status Status(DesiredCertificate certificate, CertificateFacts facts) => new()
    {
        SecretName = certificate.SecretName,
        SerialNumber = facts.SerialNumber,
        FingerprintSha256 = facts.FingerprintSha256,
        KeyAlgorithm = facts.KeyAlgorithm?.ToString(),
        NotBefore = facts.NotBefore,
        NotAfter = facts.NotAfter,
        RenewalTime = ReissuePolicy.RenewalTime(facts, certificate),
    };

    /// <summary>The certificate's clause of a Ready=True message.</summary>
    public static string ReadyMessage(X509Status x509, DesiredCertificate certificate)
    {
        // Cut short: it got less than its ttl, because its CA runs out first (the same whichever CA signs now).
        var capped = x509.NotBefore is { } from && x509.NotAfter is { } to && to - from - SvidIssuer.ClockSkewAllowance < certificate.Ttl - TimeSpan.FromMinutes(1);
        return $"certificate serial {x509.SerialNumber} is valid until {x509.NotAfter:u}"
            + (capped ? " (cut short by its CA's own expiry; it moves to the next CA when that one signs)" : "");
    }
}
