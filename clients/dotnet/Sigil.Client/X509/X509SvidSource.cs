using Sigil.Client.Mounting;

namespace Sigil.Client.X509;

/// <summary>
/// The X.509-SVID in a mounted SVID Secret folder (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>), kept current as
/// Sigil renews the certificate and rotates the CA.
/// </summary>
/// <param name="directory">The folder the SVID Secret is mounted at.</param>
/// <param name="options">How changes are noticed; defaults poll every 2 s and watch file-system events.</param>
public sealed class X509SvidSource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<X509Svid>(directory, options)
{
    /// <inheritdoc/>
    protected override X509Svid Parse(FolderSnapshot snapshot) => X509Svid.Parse(snapshot);
}
