using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>
/// The certificate context for the current SVID, built once per SVID version (building one walks the chain) and
/// replaced when the source reloads, so every handshake serves whatever the folder holds now, intermediates included.
/// </summary>
internal sealed class ServedSvid(X509SvidSource source)
{
    private sealed record Built(X509Svid Svid, SslStreamCertificateContext Context, string Serial);

    private Built? _built;

    public X509SvidSource Source { get; } = source;

    public (X509Svid Svid, SslStreamCertificateContext Context, string Serial) Current()
    {
        var svid = Source.Current;
        var built = Volatile.Read(ref _built);
        if (built is null || !ReferenceEquals(built.Svid, svid))
        {
            // Two handshakes racing here both build; either result is right, so no lock.
            built = new Built(
                svid,
                SslStreamCertificateContext.Create(svid.Certificate, new X509Certificate2Collection(svid.Intermediates), offline: true),
                svid.Certificate.GetSerialNumberString().ToLowerInvariant());
            Volatile.Write(ref _built, built);
        }
        return (built.Svid, built.Context, built.Serial);
    }
}
