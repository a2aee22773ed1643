using System.Security.Cryptography.X509Certificates;

namespace Sigil.Client.X509;

/// <summary>The outcome of checking a peer's X.509-SVID: its SPIFFE ID, or why it was refused.</summary>
/// <param name="Id">The authorized peer's SPIFFE ID; null when refused.</param>
/// <param name="Problem">Why the peer was refused; null when accepted.</param>
public sealed record SvidValidationResult(SpiffeId? Id, string? Problem)
{
    /// <summary>Whether the peer was accepted.</summary>
    public bool Succeeded => Id is not null;

    internal static SvidValidationResult Refused(string problem) => new(null, problem);
}

/// <summary>
/// Checks a peer's certificate as an X.509-SVID: it chains to one of the bundle's CAs (only those: the system store is
/// never consulted, nothing is downloaded), it is valid now, it is not a CA and cannot sign certificates, it carries
/// exactly one SPIFFE ID, that ID is of the bundle's trust domain, and the authorizer allows it.
/// </summary>
public static class X509SvidValidator
{
    /// <summary>
    /// Sigil's chains are leaf, at most one intermediate (an external <c>--ca-secret</c>), root; a few more are allowed
    /// for platform CAs, but never an unbounded chain from a stranger for the chain builder to walk.
    /// </summary>
    public const int MaxIntermediates = 4;

    /// <summary>Validates <paramref name="peer"/> (with the intermediates it sent) against <paramref name="bundle"/>.</summary>
    /// <param name="peer">The certificate the peer presented as its own.</param>
    /// <param name="intermediates">The other certificates it sent: helpers for building the chain, never trusted themselves.</param>
    /// <param name="bundle">The CAs to trust.</param>
    /// <param name="authorizer">Which SPIFFE IDs are allowed.</param>
    /// <param name="at">The time to check validity at; default now.</param>
    public static SvidValidationResult Validate(
        X509Certificate2 peer, IEnumerable<X509Certificate2>? intermediates, TrustBundle bundle, SpiffeIdAuthorizer authorizer, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(authorizer);
        var now = at ?? DateTimeOffset.UtcNow;
        if (peer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
        {
            return SvidValidationResult.Refused("the peer presented a CA certificate, not an X.509-SVID");
        }
        if (peer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && (usage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0)
        {
            // The X.509-SVID specification forbids both on a leaf (as go-spiffe's verifier does).
            return SvidValidationResult.Refused("the peer's certificate may sign certificates (keyCertSign or cRLSign), which no X.509-SVID may");
        }
        var (id, problem) = SubjectAlternativeNames.SpiffeIdOf(peer);
        if (id is null)
        {
            return SvidValidationResult.Refused($"the peer's certificate is not an X.509-SVID: {problem}");
        }
        // A CA in the bundle may also sign for other trust domains (a shared upstream root); it vouches for ours only.
        if (bundle.TrustDomain is null)
        {
            return SvidValidationResult.Refused($"{id} is refused: the trust bundle's trust domain is not known (give TrustBundleSource its trustDomain)");
        }
        if (!id.IsMemberOf(bundle.TrustDomain))
        {
            return SvidValidationResult.Refused($"{id} is not of the trust domain {bundle.TrustDomain} the trust bundle is for");
        }
        var sent = (intermediates ?? [])
            // The peer's own leaf is not an intermediate; only the bundle decides what is trusted.
            .Where(c => !c.RawDataMemory.Span.SequenceEqual(peer.RawDataMemory.Span))
            .ToList();
        if (sent.Count > MaxIntermediates)
        {
            return SvidValidationResult.Refused($"{id} sent {sent.Count} intermediate certificates; at most {MaxIntermediates} are read");
        }
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(bundle.Authorities);
        policy.ExtraStore.AddRange(sent.ToArray());
        // SPIFFE has no revocation (short lifetimes instead), and a peer must never make us fetch a URL it chose (AIA).
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        if (!chain.Build(peer))
        {
            var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return SvidValidationResult.Refused($"{id}'s certificate does not chain to the trust bundle at {now:O} ({string.Join(", ", statuses)})");
        }
        // Build succeeds only on a custom root; check it once more by value, so no setting above can quietly widen trust.
        var root = chain.ChainElements[^1].Certificate;
        if (!bundle.Authorities.Any(a => a.RawDataMemory.Span.SequenceEqual(root.RawDataMemory.Span)))
        {
            return SvidValidationResult.Refused($"{id}'s certificate chains to a CA that is not in the trust bundle");
        }
        if (!authorizer.IsAuthorized(id))
        {
            return SvidValidationResult.Refused($"{id} is not allowed here (allowed: {authorizer})");
        }
        return new SvidValidationResult(id, null);
    }
}
