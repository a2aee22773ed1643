using Sigil.Client.Mounting;

namespace Sigil.Client.ApiKeys;

/// <summary>
/// The <c>keys.json</c> of a mounted verifier Secret folder, kept current: a new key arrives here at least
/// <c>--bundle-propagation</c> before any caller presents it, and a retired one stays until its <c>notAfter</c>.
/// </summary>
/// <param name="directory">The folder the <c>&lt;name&gt;-verifiers</c> Secret is mounted at.</param>
/// <param name="options">How changes are noticed.</param>
public sealed class VerifierKeysSource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<VerifierKeys>(directory, options)
{
    /// <inheritdoc/>
    protected override VerifierKeys Parse(FolderSnapshot snapshot) => VerifierKeys.Parse(snapshot);
}
