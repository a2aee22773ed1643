using System.Diagnostics.CodeAnalysis;

namespace Sigil.Client;

/// <summary>
/// A SPIFFE ID, <c>spiffe://trust-domain/path</c>, validated as the SPIFFE ID specification requires: a lowercase
/// trust domain of letters, digits, <c>-</c>, <c>.</c> and <c>_</c>; path segments of letters, digits, <c>-</c>, <c>.</c>
/// and <c>_</c>, none empty, <c>.</c> or <c>..</c>; no query, fragment, port or user info.
/// </summary>
public sealed class SpiffeId : IEquatable<SpiffeId>
{
    private const string Scheme = "spiffe://";
    private const int MaxLength = 2048;
    private const int MaxTrustDomainLength = 255;

    private SpiffeId(string trustDomain, string path)
    {
        TrustDomain = trustDomain;
        Path = path;
    }

    /// <summary>The trust domain, e.g. <c>cluster.local</c>.</summary>
    public string TrustDomain { get; }

    /// <summary>The path, starting with <c>/</c>, or empty for the trust domain's own ID.</summary>
    public string Path { get; }

    /// <summary>Parses <paramref name="value"/>, throwing <see cref="FormatException"/> that says what is wrong.</summary>
    public static SpiffeId Parse(string value) =>
        TryParse(value, out var id, out var problem) ? id : throw new FormatException($"'{value}' is not a SPIFFE ID: {problem}.");

    /// <summary>Parses <paramref name="value"/>, or returns false.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out SpiffeId? id) => TryParse(value, out id, out _);

    private static bool TryParse(string? value, [NotNullWhen(true)] out SpiffeId? id, out string problem)
    {
        id = null;
        if (string.IsNullOrEmpty(value) || !value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            problem = "it must start with spiffe://";
            return false;
        }
        if (value.Length > MaxLength)
        {
            // The SPIFFE ID specification caps the URI (2048 bytes) and the trust domain (255 characters).
            problem = $"it is longer than {MaxLength} characters";
            return false;
        }
        var rest = value.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var trustDomain = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? [] : rest[slash..];
        if (trustDomain.IsEmpty || trustDomain.Length > MaxTrustDomainLength || trustDomain.IndexOfAnyExcept(TrustDomainCharacters) >= 0)
        {
            problem = "the trust domain must be 1 to 255 lowercase letters, digits, '-', '.' and '_'";
            return false;
        }
        if (!path.IsEmpty)
        {
            foreach (var range in path[1..].Split('/'))
            {
                var segment = path[1..][range];
                if (segment.IsEmpty || segment is "." or ".." || segment.IndexOfAnyExcept(PathCharacters) >= 0)
                {
                    problem = "each path segment must be non-empty letters, digits, '-', '.' and '_', and not '.' or '..'";
                    return false;
                }
            }
        }
        id = new SpiffeId(trustDomain.ToString(), path.ToString());
        problem = "";
        return true;
    }

    /// <summary>Whether this ID belongs to <paramref name="trustDomain"/>.</summary>
    public bool IsMemberOf(string trustDomain) => string.Equals(TrustDomain, trustDomain, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Scheme + TrustDomain + Path;

    /// <inheritdoc/>
    public bool Equals(SpiffeId? other) => other is not null && TrustDomain == other.TrustDomain && Path == other.Path;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SpiffeId);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TrustDomain, Path);

    private static readonly System.Buffers.SearchValues<char> TrustDomainCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-._");

    private static readonly System.Buffers.SearchValues<char> PathCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._");
}
