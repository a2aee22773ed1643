using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Runtime;

namespace Sigil.Authority;

/// <summary>A CA that signs nothing any more but stays in the bundles until it is dropped.</summary>
/// <param name="Anchor">What the bundles hold for it: the CA itself, or the root above an intermediate.</param>
/// <param name="SignerKeyId">The key identifier its leaves name as their authority key identifier.</param>
/// <param name="Manual">Retired by sigil.dev/rotate: it leaves the bundles once no leaf uses it, not at its expiry.</param>
/// <param name="Scheduled">Retired on schedule: its leaves move over the first half of what it has left; after a manual
/// rotation or a replaced --ca-secret they move within --bundle-propagation.</param>
internal sealed record RetiringCa(X509Certificate2 Anchor, string SignerKeyId, CaValidity Signer, bool Manual, DateTimeOffset? LeavesMovedAt, bool Scheduled = false);

/// <summary>
/// The root of trust as stored in the cluster: the CA that signs, a prepared successor, the retiring CAs, and the
/// times and requests the lifecycle steps were derived from. One Secret holds all of it, so every step is one
/// optimistic-concurrency write: a crash between two steps leaves the state of the last one, never half of one.
/// </summary>
internal sealed record AuthorityState(
    CertificateAuthority Active,
    DateTimeOffset? ActivatedAt,
    CertificateAuthority? Prepared,
    DateTimeOffset? PreparedPublishedAt,
    bool PreparedForManual,
    IReadOnlyList<RetiringCa> Retiring,
    string? RotationRequest,
    long Sequence)
{
    /// <summary>
    /// Every certificate the bundles hold, each anchor once, oldest first: the order does not depend on which CA signs,
    /// so activating a prepared CA leaves every bundle byte for byte as it was (no write to each Secret for nothing).
    /// </summary>
    public IReadOnlyList<X509Certificate2> Trusted() =>
        new[] { Active.Anchor, Prepared?.Anchor }.OfType<X509Certificate2>().Concat(Retiring.Select(r => r.Anchor))
            .DistinctBy(c => c.GetCertHashString(HashAlgorithmName.SHA256))
            .OrderBy(c => c.NotBefore.ToUniversalTime())
            .ThenBy(c => c.GetCertHashString(HashAlgorithmName.SHA256), StringComparer.Ordinal)
            .ToList();

    public static CaValidity ValidityOf(X509Certificate2 c) => new(c.NotBefore.ToUniversalTime(), c.NotAfter.ToUniversalTime());
}

/// <summary>How <see cref="AuthorityState"/> is kept in a Secret (pure: no API). PEM in data, the rest in one annotation.</summary>
internal static class AuthorityStateCodec
{
    public const string StateAnnotation = "sigil.dev/ca-state";
    public const string PreparedCertificateKey = "prepared.crt";
    public const string PreparedKeyKey = "prepared.key";
    public const string RetiringKey = "retiring.crt";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, TypeInfoResolver = Runtime.SigilJson.Resolver };

    internal sealed record StoredRetiring(
        [property: JsonPropertyName("anchorSha256")] string AnchorSha256,
        [property: JsonPropertyName("signerKeyId")] string SignerKeyId,
        [property: JsonPropertyName("signerNotBefore")] DateTimeOffset SignerNotBefore,
        [property: JsonPropertyName("signerNotAfter")] DateTimeOffset SignerNotAfter,
        [property: JsonPropertyName("manual")] bool Manual,
        [property: JsonPropertyName("leavesMovedAt")] DateTimeOffset? LeavesMovedAt,
        [property: JsonPropertyName("scheduled")] bool Scheduled);

    internal sealed record StoredState(
        [property: JsonPropertyName("sequence")] long Sequence,
        [property: JsonPropertyName("activatedAt")] DateTimeOffset? ActivatedAt,
        [property: JsonPropertyName("activeSha256")] string? ActiveSha256,
        [property: JsonPropertyName("preparedPublishedAt")] DateTimeOffset? PreparedPublishedAt,
        [property: JsonPropertyName("preparedForManual")] bool PreparedForManual,
        [property: JsonPropertyName("rotationRequest")] string? RotationRequest,
        [property: JsonPropertyName("retiring")] IReadOnlyList<StoredRetiring>? Retiring);

    /// <summary>The state a generated-CA Secret (sigil-ca) holds; a Secret from before CA rotation reads as a first CA.</summary>
    public static AuthorityState Read(V1Secret secret)
    {
        var active = CertificateAuthority.FromPem(Text(secret, "tls.crt") ?? throw Missing(secret, "tls.crt"), Text(secret, "tls.key") ?? throw Missing(secret, "tls.key"));
        var prepared = Text(secret, PreparedCertificateKey) is { } crt && Text(secret, PreparedKeyKey) is { } key ? CertificateAuthority.FromPem(crt, key) : null;
        return Read(secret, active, prepared);
    }

    /// <summary>The state around a signer Sigil does not own (--ca-secret): retiring CAs and times only.</summary>
    public static AuthorityState Read(V1Secret? stateSecret, CertificateAuthority active, CertificateAuthority? prepared)
    {
        var stored = stateSecret?.Metadata.Annotations is { } a && a.TryGetValue(StateAnnotation, out var json)
            ? JsonSerializer.Deserialize(json, Json.Info<StoredState>()) : null;
        var anchors = new X509Certificate2Collection();
        if (stateSecret is not null && Text(stateSecret, RetiringKey) is { Length: > 0 } pem)
        {
            anchors.ImportFromPem(pem);
        }
        var byHash = anchors.ToDictionary(c => Convert.ToHexStringLower(c.GetCertHash(HashAlgorithmName.SHA256)), c => c, StringComparer.Ordinal);
        var retiring = (stored?.Retiring ?? [])
            .Where(r => byHash.ContainsKey(r.AnchorSha256))
            .Select(r => new RetiringCa(byHash[r.AnchorSha256], r.SignerKeyId, new CaValidity(r.SignerNotBefore, r.SignerNotAfter), r.Manual, r.LeavesMovedAt, r.Scheduled))
            .ToList();
        return new AuthorityState(active, stored?.ActivatedAt, prepared, prepared is null ? null : stored?.PreparedPublishedAt,
            prepared is not null && (stored?.PreparedForManual ?? false), retiring, stored?.RotationRequest, stored?.Sequence ?? 1);
    }

    /// <summary>The signing CA's fingerprint that the state was last written for (to notice a replaced --ca-secret).</summary>
    public static string? ActiveSha256(V1Secret? stateSecret) =>
        stateSecret?.Metadata.Annotations is { } a && a.TryGetValue(StateAnnotation, out var json) ? JsonSerializer.Deserialize(json, Json.Info<StoredState>())?.ActiveSha256 : null;

    /// <summary>The data and annotations that store <paramref name="state"/>; with <paramref name="withKeys"/>, the CA keys too (sigil-ca).</summary>
    public static (Dictionary<string, byte[]> Data, string StateJson) Write(AuthorityState state, bool withKeys)
    {
        var data = new Dictionary<string, byte[]>
        {
            ["ca.crt"] = Encoding.ASCII.GetBytes(TrustPem(state)),
        };
        if (withKeys)
        {
            data["tls.crt"] = Encoding.ASCII.GetBytes(state.Active.CertificatesPem);
            data["tls.key"] = Encoding.ASCII.GetBytes(state.Active.PrivateKeyPem);
            if (state.Prepared is { } prepared)
            {
                data[PreparedCertificateKey] = Encoding.ASCII.GetBytes(prepared.CertificatesPem);
                data[PreparedKeyKey] = Encoding.ASCII.GetBytes(prepared.PrivateKeyPem);
            }
        }
        if (state.Retiring.Count > 0)
        {
            data[RetiringKey] = Encoding.ASCII.GetBytes(string.Concat(state.Retiring.Select(r => r.Anchor.ExportCertificatePem() + "\n")));
        }
        var stored = new StoredState(state.Sequence, state.ActivatedAt, Convert.ToHexStringLower(state.Active.Signer.GetCertHash(HashAlgorithmName.SHA256)),
            state.PreparedPublishedAt, state.PreparedForManual, state.RotationRequest,
            state.Retiring.Select(r => new StoredRetiring(Convert.ToHexStringLower(r.Anchor.GetCertHash(HashAlgorithmName.SHA256)), r.SignerKeyId,
                r.Signer.NotBefore, r.Signer.NotAfter, r.Manual, r.LeavesMovedAt, r.Scheduled)).ToList());
        return (data, JsonSerializer.Serialize(stored, Json.Info<StoredState>()));
    }

    /// <summary>ca.crt: every trusted certificate as PEM.</summary>
    public static string TrustPem(AuthorityState state) => BundleDocuments.Pem(state.Trusted());

    private static string? Text(V1Secret secret, string key) =>
        secret.Data is { } data && data.TryGetValue(key, out var bytes) && bytes.Length > 0 ? Encoding.ASCII.GetString(bytes) : null;

    private static InvalidOperationException Missing(V1Secret secret, string key) =>
        new($"CA Secret {secret.Metadata.NamespaceProperty}/{secret.Metadata.Name} must hold {key}");
}

/// <summary>What each lifecycle step does to the stored state (pure, but for the new CA the caller generates).</summary>
internal static class AuthorityTransitions
{
    public static AuthorityState Apply(AuthorityState s, LifecycleDecision decision, DateTimeOffset now, string? rotateRequest, Func<CertificateAuthority> generate)
    {
        var manual = !string.IsNullOrEmpty(rotateRequest) && rotateRequest != s.RotationRequest;
        return decision.Step switch
        {
            LifecycleSteps.Prepare => s with
            {
                Prepared = generate(),
                PreparedPublishedAt = null,
                PreparedForManual = manual,
                RotationRequest = manual ? rotateRequest : s.RotationRequest,
                Sequence = s.Sequence + 1,
            },
            LifecycleSteps.HurryPrepared => s with { PreparedForManual = true, RotationRequest = rotateRequest },
            LifecycleSteps.MarkPublished => s with { PreparedPublishedAt = Api.Timestamps.ToSecond(now) },
            LifecycleSteps.Unpublish => s with { PreparedPublishedAt = null },
            LifecycleSteps.Activate => s with
            {
                Active = s.Prepared!,
                ActivatedAt = Api.Timestamps.ToSecond(now),
                Prepared = null,
                PreparedPublishedAt = null,
                PreparedForManual = false,
                Retiring = [Retire(s.Active, s.PreparedForManual), .. s.Retiring],
            },
            LifecycleSteps.MarkLeavesMoved => s with
            {
                Retiring = [.. s.Retiring.Select((r, n) => n == decision.Index ? r with { LeavesMovedAt = Api.Timestamps.ToSecond(now) } : r)],
            },
            LifecycleSteps.Drop => s with
            {
                Retiring = [.. s.Retiring.Where((_, n) => n != decision.Index)],
                Sequence = s.Sequence + 1,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(decision), decision.Step, "unknown lifecycle step"),
        };
    }

    /// <summary>A signer that stops signing: what the bundles and the leaf migration need to know of it.</summary>
    public static RetiringCa Retire(CertificateAuthority ca, bool manual) =>
        new(ca.Anchor, ca.KeyIdHex, AuthorityState.ValidityOf(ca.Signer), manual, null, Scheduled: !manual);
}
