using Sigil.Client.Mounting;

namespace Sigil.Client.ApiKeys;

/// <summary>
/// The key in a mounted API-key Secret folder, kept current as Sigil rotates it. Sigil presents a new key only after
/// every receiver has held it for <c>--bundle-propagation</c>, so sending <see cref="CredentialSource{T}.Current"/>
/// is always safe.
/// </summary>
/// <param name="directory">The folder the API-key Secret is mounted at.</param>
/// <param name="options">How changes are noticed.</param>
public sealed class ApiKeySource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<ApiKeyCredential>(directory, options)
{
    /// <inheritdoc/>
    protected override ApiKeyCredential Parse(FolderSnapshot snapshot) => ApiKeyCredential.Parse(snapshot);
}
