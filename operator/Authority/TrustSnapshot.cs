using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sigil.Identity;
using Sigil.Credentials.X509;

namespace Sigil.Authority;

/// <summary>
/// The root of trust as one pass sees it, immutable: who signs, what every bundle holds, and when each leaf of a
/// retiring CA moves. The manager swaps in a new snapshot after each lifecycle step; a pass reads one at its start.
/// </summary>
internal sealed class TrustSnapshot
{
    /// <param name="jwt">The JWT signing keys (none before they are loaded: no JWT is signed and none published).</param>
    public TrustSnapshot(AuthorityState state, TimeProvider time, TimeSpan propagation, JwtKeySet? jwt = null)
    {
        State = state;
        JwtKeys = jwt ?? JwtKeySet.Empty;
        Trusted = state.Trusted();
        BundlePem = BundleDocuments.Pem(Trusted);
        BundleSha256 = Sha256(BundlePem);
        Issuer = new SvidIssuer(state.Active, time, BundlePem);
        var start = state.ActivatedAt ?? DateTimeOffset.MinValue;
        Issuers = new IssuerView(state.Active.KeyIdHex, state.Active.NotAfter,
            state.Retiring.GroupBy(r => r.SignerKeyId).ToDictionary(g => g.Key, g =>
            {
                var r = g.First();
                return new RetiringIssuer(r.Signer.NotAfter, start, CaLifecycle.MigrationWindow(start, r.Signer, r.Scheduled, propagation));
            }, StringComparer.Ordinal));
        ClientIssuers = new Issuer.Token.ClientAuthentication.ClientIssuers(
            [.. new[] { state.Active.Signer, state.Prepared?.Signer }.OfType<X509Certificate2>()],
            state.Retiring.Select(r => r.SignerKeyId.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal));
        RefreshHint = propagation > TimeSpan.FromSeconds(1) ? propagation : TimeSpan.FromSeconds(1);
        var published = JwtKeys.Published.Select(k => k.PublicJwk()).ToList();
        SpiffeBundle = BundleDocuments.SpiffeBundle(Trusted, published, state.Sequence + JwtKeys.Sequence, RefreshHint);
        Jwks = BundleDocuments.Jwks(published);
    }

    /// <summary>The JWT signing keys: the one that signs now, and every one published (prepared, active, retiring).</summary>
    public JwtKeySet JwtKeys { get; }

    /// <summary>bundle.spiffe: the SPIFFE bundle (a JWKS of x509-svid keys, spiffe_sequence, spiffe_refresh_hint).</summary>
    public string SpiffeBundle { get; }

    /// <summary>jwks.json and the issuer's /keys: the published JWT signing keys, for ordinary JWT libraries.</summary>
    public string Jwks { get; }

    public AuthorityState State { get; }

    /// <summary>The CAs whose leaves may authenticate to the token endpoint (Sigil's signers, not the whole bundle).</summary>
    public Issuer.Token.ClientAuthentication.ClientIssuers ClientIssuers { get; }

    public CertificateAuthority Signer => State.Active;

    public SvidIssuer Issuer { get; }

    /// <summary>Every trusted certificate, in bundle order: oldest first, whatever its role.</summary>
    public IReadOnlyList<X509Certificate2> Trusted { get; }

    /// <summary>ca.crt of every bundle and SVID Secret.</summary>
    public string BundlePem { get; }

    public string BundleSha256 { get; }

    /// <summary>What the reissue decision needs to know of the CAs.</summary>
    public IssuerView Issuers { get; }

    /// <summary>spiffe_refresh_hint: consumers should look again within --bundle-propagation.</summary>
    public TimeSpan RefreshHint { get; }

    /// <summary>spiffe_sequence: grows with every change of the CAs or the JWT keys.</summary>
    public long Sequence => State.Sequence + JwtKeys.Sequence;

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)));
}
