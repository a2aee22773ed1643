using Sigil.Client.Mounting;

namespace Sigil.Client.Jwt;

/// <summary>
/// The JWT-SVIDs of a mounted <c>&lt;name&gt;-jwt</c> Secret: one compact JWS per audience, in <c>&lt;audience name&gt;.jwt</c>.
/// Sigil renews each at half its lifetime, so the one on disk is always valid for a while.
/// </summary>
public sealed class JwtSvids
{
    private readonly Dictionary<string, string> _byAudienceName;

    private JwtSvids(Dictionary<string, string> byAudienceName) => _byAudienceName = byAudienceName;

    /// <summary>The audience names (<c>spec.jwt.audiences[].name</c>) present.</summary>
    public IReadOnlyCollection<string> AudienceNames => _byAudienceName.Keys;

    /// <summary>The JWT-SVID for <paramref name="audienceName"/>, or a <see cref="SigilCredentialException"/> naming the file.</summary>
    public string For(string audienceName) =>
        _byAudienceName.TryGetValue(audienceName, out var token)
            ? token
            : throw new SigilCredentialException($"no JWT-SVID for audience '{audienceName}': the Secret has {string.Join(", ", _byAudienceName.Keys.Select(k => k + ".jwt"))}.");

    /// <summary>Reads a mounted JWT-SVID Secret folder.</summary>
    public static JwtSvids Parse(FolderSnapshot snapshot)
    {
        var tokens = snapshot.Files
            .Where(f => f.Key.EndsWith(".jwt", StringComparison.Ordinal) && f.Key.Length > 4)
            .ToDictionary(f => f.Key[..^4], f => System.Text.Encoding.ASCII.GetString(f.Value).Trim(), StringComparer.Ordinal);
        if (tokens.Count == 0)
        {
            throw new SigilCredentialException($"{snapshot.Directory} holds no <audience>.jwt file: mount the identity's JWT-SVID Secret (<name>-jwt) there.");
        }
        if (tokens.Values.Any(t => t.Count(c => c == '.') != 2))
        {
            throw new SigilCredentialException($"{snapshot.Directory} has a .jwt file that is not a compact JWS.");
        }
        return new JwtSvids(tokens);
    }
}

/// <summary>The JWT-SVIDs in a mounted <c>&lt;name&gt;-jwt</c> Secret folder, kept current as Sigil renews them.</summary>
/// <param name="directory">The folder the JWT-SVID Secret is mounted at.</param>
/// <param name="options">How changes are noticed.</param>
public sealed class JwtSvidSource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<JwtSvids>(directory, options)
{
    /// <inheritdoc/>
    protected override JwtSvids Parse(FolderSnapshot snapshot) => JwtSvids.Parse(snapshot);
}
