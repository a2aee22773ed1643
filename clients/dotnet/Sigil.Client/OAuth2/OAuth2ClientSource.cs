using Sigil.Client.Mounting;

namespace Sigil.Client.OAuth2;

/// <summary>
/// The client credential in a mounted <c>&lt;name&gt;-oauth2</c> Secret folder, kept current as Sigil rotates the secret
/// (a new secret is presented only after the token endpoint has accepted it for <c>--bundle-propagation</c>).
/// </summary>
/// <param name="directory">The folder the <c>&lt;name&gt;-oauth2</c> Secret is mounted at.</param>
/// <param name="options">How changes are noticed.</param>
public sealed class OAuth2ClientSource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<OAuth2ClientCredential>(directory, options)
{
    /// <inheritdoc/>
    protected override OAuth2ClientCredential Parse(FolderSnapshot snapshot) => OAuth2ClientCredential.Parse(snapshot);
}
