using Sigil.Identity;

namespace Sigil.Authority;

/// <summary>
/// The JWT signing keys as one pass sees them, immutable: <paramref name="Signer"/> signs every new JWT (null while
/// none is loaded: nothing is signed), <paramref name="Published"/> is every key verifiers must know, oldest first
/// (a prepared key before it signs, the active one, retiring ones until every token they signed has expired).
/// </summary>
/// <param name="Sequence">Grows with every change of the set; added to the CA's into spiffe_sequence.</param>
internal sealed record JwtKeySet(JwtSigningKey? Signer, IReadOnlyList<JwtSigningKey> Published, long Sequence)
{
    public static readonly JwtKeySet Empty = new(null, [], 0);
}
