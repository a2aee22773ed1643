using System.Security.Cryptography.X509Certificates;

namespace Sigil.Client.X509;

/// <summary>
/// An X.509-SVID as Sigil writes it into a <c>kubernetes.io/tls</c> Secret: the leaf with its private key
/// (<c>tls.crt</c> first certificate, <c>tls.key</c>), any intermediates (the rest of <c>tls.crt</c>) and the trust
/// bundle (<c>ca.crt</c>).
/// </summary>
public sealed class X509Svid
{
    internal X509Svid(SpiffeId id, X509Certificate2 certificate, X509Certificate2Collection intermediates, TrustBundle bundle)
    {
        Id = id;
        Certificate = certificate;
        Intermediates = intermediates;
        Bundle = bundle;
    }

    /// <summary>The SPIFFE ID the certificate carries.</summary>
    public SpiffeId Id { get; }

    /// <summary>The leaf certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Certificates between the leaf and the trust bundle (often none).</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The CAs to check peers against.</summary>
    public TrustBundle Bundle { get; }

    /// <summary>The leaf's expiry.</summary>
    public DateTimeOffset NotAfter => Certificate.NotAfter.ToUniversalTime();

    /// <summary>Reads a mounted SVID folder's <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>.</summary>
    public static X509Svid Parse(Mounting.FolderSnapshot snapshot)
    {
        var chainPem = snapshot.RequireText("tls.crt", "the SVID certificate chain (PEM)");
        var keyPem = snapshot.RequireText("tls.key", "the SVID private key (PKCS#8 PEM)");
        var bundlePem = snapshot.RequireText("ca.crt", "the trust bundle (PEM)");
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(chainPem);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "tls.crt")} is not a PEM certificate chain.");
        }
        if (chain.Count == 0)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "tls.crt")} holds no certificate.");
        }
        if (keyPem.Contains("ED25519", StringComparison.OrdinalIgnoreCase) || IsEd25519(chain[0]))
        {
            throw new SigilCredentialException(
                $"{snapshot.Directory} holds an Ed25519 SVID, which .NET's TLS cannot use; give the identity spec.x509.keyAlgorithm ECDSAP256 (the default), ECDSAP384 or RSA.");
        }
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(chain[0].ExportCertificatePem(), keyPem);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            // CopyWithPrivateKey throws ArgumentException for a key of another certificate.
            // A swap seen half-way through a plain (non-kubelet) folder lands here too: the next check will retry.
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "tls.key")} is not the private key of the certificate in tls.crt.");
        }
        var (id, problem) = SubjectAlternativeNames.SpiffeIdOf(leaf);
        if (id is null)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "tls.crt")} is not an X.509-SVID: {problem}.");
        }
        // The bundle authenticates peers of our own trust domain only.
        var bundle = TrustBundle.FromPem(bundlePem, Path.Combine(snapshot.Directory, "ca.crt"), id.TrustDomain);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }
        return new X509Svid(id, leaf, intermediates, bundle);
    }

    private static bool IsEd25519(X509Certificate2 certificate) => certificate.PublicKey.Oid.Value == "1.3.101.112";
}
