using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Sigil.Identity;

namespace Sigil.Credentials.X509;

/// <summary>
/// Reads the certificate and key facts out of an mTLS Secret (gather step). Results are remembered per
/// Secret object: the informer keeps one instance per resourceVersion, so an unchanged Secret is parsed once.
/// </summary>
internal static class SecretReader
{
    private static readonly ConditionalWeakTable<V1Secret, StoredCertificate> Parsed = [];

    public static StoredCertificate Read(V1Secret secret) => Parsed.GetValue(secret, ReadUncached);

    /// <summary>
    /// For the informer cache: reads an mTLS Secret's facts once, then returns a copy without its data (certificate,
    /// private key, bundle), which the operator never needs again. Keeps private keys out of the operator's memory
    /// and a 10,000-identity cache about 25 MB smaller.
    /// </summary>
    public static V1Secret Compact(V1Secret secret)
    {
        if (secret.Type != "kubernetes.io/tls" || secret.Data is null)
        {
            return secret;
        }
        var facts = ReadUncached(secret);
        var compact = new V1Secret { ApiVersion = secret.ApiVersion, Kind = secret.Kind, Metadata = secret.Metadata, Type = secret.Type };
        Parsed.AddOrUpdate(compact, facts);
        return compact;
    }

    private static StoredCertificate ReadUncached(V1Secret secret)
    {
        var data = secret.Data ?? new Dictionary<string, byte[]>();
        var keyPem = data.TryGetValue("tls.key", out var key) && key.Length > 0 ? Encoding.ASCII.GetString(key) : null;
        var hasBundle = data.TryGetValue("ca.crt", out var bundle) && bundle.Length > 0;
        CertificateFacts? facts = null;
        if (data.TryGetValue("tls.crt", out var crt) && crt.Length > 0)
        {
            try
            {
                using var leaf = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(crt));
                facts = CertificateFacts.Of(leaf);
            }
            catch (CryptographicException)
            {
            }
        }
        var keyMatches = facts is not null && keyPem is not null && KeyMaterial.PublicKeySpkiSha256(keyPem) == facts.PublicKeySpkiSha256;
        var request = secret.Metadata.Annotations is { } a && a.TryGetValue(Api.Labels.RotationRequestAnnotation, out var value) ? value : null;
        var keyReadable = keyPem is null || !KeyMaterial.IsPkcs8V2(keyPem);
        return new StoredCertificate(facts, keyPem is not null, keyMatches, hasBundle, request, keyReadable,
            hasBundle ? Convert.ToHexStringLower(SHA256.HashData(bundle!)) : null);
    }
}
