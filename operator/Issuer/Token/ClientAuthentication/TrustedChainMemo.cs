using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// Chains that built to the bundle, remembered so a client that comes back is not charged an X509Chain build (a few
/// hundred microseconds on Linux, more than the rest of a token) on every request. Only successes are kept, and only for
/// the trust snapshot they were built against (a new snapshot, e.g. a dropped CA, forgets them all at once) and only
/// while every certificate of the chain is within its validity; everything else about the leaf is checked every time.
/// Bounded: when full it starts over, which costs only rebuilds.
/// </summary>
internal sealed class TrustedChainMemo(int capacity = TrustedChainMemo.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset From, DateTimeOffset Until)> _built = new(StringComparer.Ordinal);
    private object? _trusted;

    /// <summary>True when this exact chain built to this exact trusted set and is still within every certificate's validity.</summary>
    public bool Knows(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> trusted, DateTimeOffset now)
    {
        var key = Key(leaf, intermediates);
        lock (_lock)
        {
            return ReferenceEquals(_trusted, trusted) && _built.TryGetValue(key, out var window) && now >= window.From && now <= window.Until;
        }
    }

    /// <summary>Remembers a chain that built: <paramref name="elements"/> are the certificates X509Chain used, leaf to root.</summary>
    public void Remember(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> trusted, IEnumerable<X509Certificate2> elements)
    {
        var used = elements.ToList();
        var from = used.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime()));
        var until = used.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
        var key = Key(leaf, intermediates);
        lock (_lock)
        {
            if (!ReferenceEquals(_trusted, trusted) || _built.Count >= capacity)
            {
                _built.Clear();
                _trusted = trusted;
            }
            _built[key] = (from, until);
        }
    }

    // The whole presented chain, not the leaf alone: the same leaf with other intermediates could build another way.
    private static string Key(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(leaf.RawDataMemory.Span);
        foreach (var c in intermediates)
        {
            hash.AppendData(c.RawDataMemory.Span);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
