using Sigil.Client.Mounting;

namespace Sigil.Client.X509;

/// <summary>
/// The trust bundle in a mounted folder's <c>ca.crt</c>: the <c>sigil-trust-bundle</c> ConfigMap, or any SVID Secret.
/// For clients that check Sigil servers but present no SVID themselves (a client-secret client of the token endpoint).
/// </summary>
/// <param name="directory">The folder holding <c>ca.crt</c>.</param>
/// <param name="options">How changes are noticed.</param>
/// <param name="trustDomain">
/// The trust domain whose peers the bundle authenticates. A <c>ca.crt</c> alone does not say (an upstream root can be
/// shared by several trust domains); without it, users such as <see cref="Http.AccessTokenClient"/> supply their own.
/// </param>
public sealed class TrustBundleSource(string directory, CredentialSourceOptions? options = null, string? trustDomain = null)
    : CredentialSource<TrustBundle>(directory, options)
{
    /// <inheritdoc/>
    protected override TrustBundle Parse(FolderSnapshot snapshot) =>
        TrustBundle.FromPem(snapshot.RequireText("ca.crt", "the trust bundle (PEM)"), Path.Combine(snapshot.Directory, "ca.crt"), trustDomain);
}
