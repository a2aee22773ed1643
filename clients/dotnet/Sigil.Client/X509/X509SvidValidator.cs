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
/// never consulted, nothing is downloaded), it is not a CA, it carries exactly one SPIFFE ID, and the authorizer
/// allows that ID.
/// </summary>
public static class X509SvidValidator
{
    /// <summary>Validates <paramref name="peer"/> (with the intermediates it sent) against <paramref name="bundle"/>.</summary>
    public static SvidValidationResult Validate(
        X509Certificate2 peer, IEnumerable<X509Certificate2>? intermediates, TrustBundle bundle, SpiffeIdAuthorizer authorizer, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(authorizer);
        if (peer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
        {
            return SvidValidationResult.Refused("the peer presented a CA certificate, not an X.509-SVID");
        }
        var (id, problem) = SubjectAlternativeNames.SpiffeIdOf(peer);
        if (id is null)
        {
            return SvidValidationResult.Refused($"the peer's certificate is not an X.509-SVID: {problem}");
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(bundle.Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTimeIgnored = at is null;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
        }
        foreach (var intermediate in intermediates ?? [])
        {
            // The peer's own leaf and any root it sent are not intermediates; only the bundle decides what is trusted.
            if (!intermediate.RawDataMemory.Span.SequenceEqual(peer.RawDataMemory.Span))
            {
                chain.ChainPolicy.ExtraStore.Add(intermediate);
            }
        }
        if (!chain.Build(peer))
        {
            var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return SvidValidationResult.Refused($"{id}'s certificate does not chain to the trust bundle ({string.Join(", ", statuses)})");
        }
        if (!authorizer.IsAuthorized(id))
        {
            return SvidValidationResult.Refused($"{id} is not allowed here (allowed: {authorizer})");
        }
        return new SvidValidationResult(id, null);
    }
}
