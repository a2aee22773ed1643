namespace Sigil.Client;

/// <summary>
/// Decides whether a peer's SPIFFE ID may talk to us, as go-spiffe's <c>tlsconfig.Authorizer</c>s do: any ID, one
/// exact ID, one of a set, or any member of a trust domain. The peer's certificate chain is checked against the
/// trust bundle before an authorizer is asked.
/// </summary>
public sealed class SpiffeIdAuthorizer
{
    private readonly Func<SpiffeId, bool> _allows;
    private readonly string _description;

    private SpiffeIdAuthorizer(Func<SpiffeId, bool> allows, string description, bool allowsAny = false)
    {
        _allows = allows;
        _description = description;
        AllowsAny = allowsAny;
    }

    /// <summary>Whether this is <see cref="Any"/>, for option checks that refuse it where it reaches too far.</summary>
    internal bool AllowsAny { get; }

    /// <summary>
    /// Any SPIFFE ID whose certificate chains to the trust bundle; for X.509-SVIDs, only IDs of the bundle's own trust
    /// domain ever reach an authorizer (see <see cref="X509.X509SvidValidator"/>).
    /// </summary>
    public static SpiffeIdAuthorizer Any() => new(_ => true, "any SPIFFE ID", allowsAny: true);

    /// <summary>Exactly <paramref name="id"/>.</summary>
    public static SpiffeIdAuthorizer Exact(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new(peer => peer.Equals(id), $"exactly {id}");
    }

    /// <summary>One of <paramref name="ids"/> (at least one).</summary>
    public static SpiffeIdAuthorizer OneOf(params IEnumerable<SpiffeId> ids)
    {
        var set = ids.ToHashSet();
        if (set.Count == 0)
        {
            throw new ArgumentException("OneOf needs at least one SPIFFE ID; an empty set would refuse every peer.", nameof(ids));
        }
        return new(set.Contains, $"one of {string.Join(", ", set.Select(id => id.ToString()).Order(StringComparer.Ordinal))}");
    }

    /// <summary>Any ID of <paramref name="trustDomain"/> (e.g. <c>cluster.local</c>).</summary>
    public static SpiffeIdAuthorizer MemberOf(string trustDomain)
    {
        if (!SpiffeId.TryParse("spiffe://" + trustDomain, out var domain) || domain.Path.Length > 0)
        {
            throw new ArgumentException($"'{trustDomain}' is not a trust domain name (lowercase letters, digits, '-', '.', '_').", nameof(trustDomain));
        }
        return new(peer => peer.IsMemberOf(domain.TrustDomain), $"any member of {domain.TrustDomain}");
    }

    /// <summary>Whether <paramref name="peer"/> is allowed.</summary>
    public bool IsAuthorized(SpiffeId peer) => _allows(peer);

    /// <summary>What this authorizer allows, for error messages.</summary>
    public override string ToString() => _description;
}
