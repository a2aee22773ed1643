using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Identity;
using OperatorSpiffeId = Sigil.Identity.SpiffeId;

namespace Sigil.Client.Tests.AspNetCore;

/// <summary>
/// Credentials as Sigil writes them, made by the operator's own CA and issuer classes and written into kubelet-style
/// folders under a temporary directory: SVID folders, a receiver's keys.json, a trust bundle's jwks.json, and plain
/// PEM files for curl and openssl. Also the attacker's: a CA of the same trust domain that no bundle holds.
/// </summary>
internal sealed class SigilWorld : IDisposable
{
    public const string TrustDomain = "cluster.local";
    public const string ServerDnsName = "orders.shop.svc";

    public static readonly OperatorSpiffeId Orders = new(TrustDomain, "shop", "orders");
    public static readonly OperatorSpiffeId Payments = new(TrustDomain, "shop", "payments");
    public static readonly OperatorSpiffeId Frontend = new(TrustDomain, "web", "frontend");
    public static readonly OperatorSpiffeId Intruder = new(TrustDomain, "shop", "intruder");

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sigil-aspnetcore-");
    private readonly List<IDisposable> _owned = [];

    public SigilWorld()
    {
        Ca = Own(CertificateAuthority.CreateRoot(TrustDomain, TimeProvider.System));
        Stranger = Own(CertificateAuthority.CreateRoot(TrustDomain, TimeProvider.System));
    }

    /// <summary>The CA every bundle holds.</summary>
    public CertificateAuthority Ca { get; }

    /// <summary>A CA with our trust domain's name that no bundle holds (someone else's Sigil, or an attacker's).</summary>
    public CertificateAuthority Stranger { get; }

    public string Root => _root.FullName;

    public string PathOf(string name) => Path.Combine(Root, name);

    public static CredentialSourceOptions FastPolling => new() { PollInterval = TimeSpan.FromMilliseconds(100) };

    public static IssuedSvid Issue(CertificateAuthority ca, OperatorSpiffeId id, TimeSpan? ttl = null, string? bundlePem = null) =>
        new SvidIssuer(ca, TimeProvider.System, bundlePem).Issue(new SvidRequest(id, id == Orders ? [ServerDnsName] : [], KeyAlgorithm.ECDSAP256, ttl ?? TimeSpan.FromHours(1)));

    /// <summary>Writes an SVID Secret's keys (tls.crt, tls.key, ca.crt) into a kubelet-style folder.</summary>
    public string WriteSvidFolder(string name, IssuedSvid svid, string? bundlePem = null)
    {
        var folder = PathOf(name);
        KubeletStyleFolderWriter.Write(folder, new Dictionary<string, string>
        {
            ["tls.crt"] = svid.CertificateChainPem,
            ["tls.key"] = svid.PrivateKeyPem,
            ["ca.crt"] = bundlePem ?? svid.TrustBundlePem,
        });
        return folder;
    }

    /// <summary>Writes an SVID as the three plain files a curl or openssl command line takes; returns (cert, key, cacert) paths.</summary>
    public (string Cert, string Key, string CaCert) WritePemFiles(string name, IssuedSvid svid, string? bundlePem = null)
    {
        var folder = Directory.CreateDirectory(PathOf(name)).FullName;
        var paths = (Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"), Path.Combine(folder, "ca.crt"));
        File.WriteAllText(paths.Item1, svid.CertificateChainPem);
        File.WriteAllText(paths.Item2, svid.PrivateKeyPem);
        File.WriteAllText(paths.Item3, bundlePem ?? svid.TrustBundlePem);
        return paths;
    }

    /// <summary>Writes a receiver's keys.json as Sigil's verifier Secret holds it.</summary>
    public string WriteVerifiers(string name, IEnumerable<VerifierEntry> entries)
    {
        var folder = PathOf(name);
        KubeletStyleFolderWriter.Write(folder, new Dictionary<string, string> { ["keys.json"] = JsonSerializer.Serialize(entries.Select(e => e.Json())) });
        return folder;
    }

    /// <summary>Writes jwks.json (and ca.crt) as the sigil-trust-bundle ConfigMap holds them.</summary>
    public string WriteTrustBundle(string name, params JwtSigningKey[] keys)
    {
        var folder = PathOf(name);
        KubeletStyleFolderWriter.Write(folder, new Dictionary<string, string>
        {
            ["ca.crt"] = Ca.TrustBundlePem,
            ["jwks.json"] = Authority.BundleDocuments.Jwks([.. keys.Select(k => k.PublicJwk())]),
        });
        return folder;
    }

    /// <summary>
    /// A platform root above an intermediate that signs SVIDs (as with <c>--ca-secret</c>): SVIDs carry the intermediate
    /// in tls.crt, bundles hold the root alone.
    /// </summary>
    public (CertificateAuthority Intermediate, string RootPem) PlatformIntermediate()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("O=platform, CN=platform root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(365));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=platform, CN=sigil intermediate", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = request.Create(root, now.AddHours(-1), now.AddDays(90), RandomNumberGenerator.GetBytes(16));
        var ca = Own(CertificateAuthority.FromPem(intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()));
        return (ca, root.ExportCertificatePem() + "\n");
    }

    public T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A caller's key as both sides hold it: the caller's api-key (and hmac-secret), and the receiver's keys.json entry.</summary>
internal sealed record VerifierEntry(string KeyId, string Caller, string Type, string Key, string? HmacSecret, DateTimeOffset? NotAfter)
{
    public static VerifierEntry Bearer(OperatorSpiffeId caller, DateTimeOffset? notAfter = null)
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        return new(keyId, caller.ToString(), "Bearer", $"sgl_{keyId}_{System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}", null, notAfter);
    }

    public static VerifierEntry Hmac(OperatorSpiffeId caller, DateTimeOffset? notAfter = null)
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        return new(keyId, caller.ToString(), "HMACSHA256", $"sgl_{keyId}_{System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}",
            System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), notAfter);
    }

    public Dictionary<string, object?> Json() => Type == "Bearer"
        ? new() { ["keyId"] = KeyId, ["caller"] = Caller, ["name"] = "orders", ["type"] = Type, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))), ["notAfter"] = NotAfter }
        : new() { ["keyId"] = KeyId, ["caller"] = Caller, ["name"] = "orders", ["type"] = Type, ["secret"] = HmacSecret, ["notAfter"] = NotAfter };

    // Never the key: test output must not show key material either.
    public override string ToString() => $"{Type} key {KeyId} of {Caller}";
}

/// <summary>A .NET client certificate: the leaf with its key and the chain after it, from an issued SVID.</summary>
internal static class ClientCertificates
{
    public static X509Certificate2 Leaf(IssuedSvid svid)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(svid.CertificateChainPem);
        return X509Certificate2.CreateFromPem(all[0].ExportCertificatePem(), svid.PrivateKeyPem);
    }
}
