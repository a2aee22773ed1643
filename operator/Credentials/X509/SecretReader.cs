using System.Collections.Concurrent;
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

    // Certificates this process just issued, by a digest of the certificate and key it wrote: the write's own record and
    // the watch event that reports it then take the facts the issuer knew instead of decoding the certificate and the
    // private key again (OpenSSL's decoders were a tenth of the operator's CPU while issuing). An entry is used twice
    // (once for each) and goes; one whose write failed goes after a while.
    private static readonly ConcurrentDictionary<UInt128, (CertificateFacts Facts, int Uses, long At)> Issued = new();
    private static readonly TimeSpan IssuedKeptFor = TimeSpan.FromMinutes(5);
    private static int _issuedSincePrune;

    /// <summary>Remembers the facts of a certificate this process is about to write in <paramref name="secret"/>.</summary>
    public static void RememberIssued(V1Secret secret, CertificateFacts facts)
    {
        if (Digest(secret.Data) is not { } digest)
        {
            return;
        }
        Issued[digest] = (facts, 0, Environment.TickCount64);
        if (Interlocked.Increment(ref _issuedSincePrune) % 1024 == 0)
        {
            var cutoff = Environment.TickCount64 - (long)IssuedKeptFor.TotalMilliseconds;
            foreach (var (key, entry) in Issued)
            {
                if (entry.At < cutoff)
                {
                    Issued.TryRemove(KeyValuePair.Create(key, entry));
                }
            }
        }
    }

    /// <summary>Forgets what <see cref="RememberIssued"/> kept for a Secret whose write failed.</summary>
    public static void ForgetIssued(V1Secret secret)
    {
        if (Digest(secret.Data) is { } digest)
        {
            Issued.TryRemove(digest, out _);
        }
    }

    /// <summary>Whether the facts issued for <paramref name="secret"/>'s content are remembered (for tests).</summary>
    internal static bool Remembers(V1Secret secret) => Digest(secret.Data) is { } digest && Issued.ContainsKey(digest);

    private static CertificateFacts? TakeIssued(IDictionary<string, byte[]> data)
    {
        if (Issued.IsEmpty || Digest(data) is not { } digest || !Issued.TryGetValue(digest, out var entry))
        {
            return null;
        }
        if (entry.Uses >= 1)
        {
            Issued.TryRemove(KeyValuePair.Create(digest, entry));
        }
        else
        {
            Issued.TryUpdate(digest, entry with { Uses = 1 }, entry);
        }
        return entry.Facts;
    }

    // The certificate and the key, each length-prefixed so no two different pairs digest alike.
    private static UInt128? Digest(IDictionary<string, byte[]>? data)
    {
        if (data is null || !data.TryGetValue("tls.crt", out var crt) || !data.TryGetValue("tls.key", out var key))
        {
            return null;
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in (ReadOnlySpan<byte[]>)[crt, key])
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            hash.AppendData(length);
            hash.AppendData(part);
        }
        Span<byte> sum = stackalloc byte[32];
        hash.GetHashAndReset(sum);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(sum);
    }

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
        var request = secret.Metadata.Annotations is { } a && a.TryGetValue(Api.Labels.RotationRequestAnnotation, out var value) ? value : null;
        var bundleSha256 = hasBundle ? Convert.ToHexStringLower(SHA256.HashData(bundle!)) : null;
        if (TakeIssued(data) is { } issued)
        {
            // Written by this process a moment ago, from a key it made in the form every reader takes.
            return new StoredCertificate(issued, true, true, hasBundle, request, true, bundleSha256);
        }
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
        var keyReadable = keyPem is null || !KeyMaterial.IsPkcs8V2(keyPem);
        return new StoredCertificate(facts, keyPem is not null, keyMatches, hasBundle, request, keyReadable, bundleSha256);
    }
}
