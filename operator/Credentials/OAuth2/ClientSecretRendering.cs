using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Identity;

namespace Sigil.Credentials.OAuth2;

/// <summary>Where a client secret stands, as its Secret records it (and as a pass leaves it).</summary>
/// <param name="RotatedAt">When <paramref name="Current"/> was first presented.</param>
/// <param name="ActedOn">The sigil.dev/rotate value the current secret was issued for.</param>
/// <param name="NextRequest">The sigil.dev/rotate value a staged next secret was chosen for.</param>
/// <param name="StagedAt">Since when the verifier annotation has accepted <paramref name="Next"/>.</param>
internal sealed record ClientSecretState(ApiKeyMaterial? Current, ApiKeyMaterial? Next, DateTimeOffset RotatedAt, string? ActedOn, string? NextRequest,
    DateTimeOffset? StagedAt, IReadOnlyList<ClientSecretVerifier> Verifiers);

/// <summary>
/// What an OAuth 2.0 client secret becomes (pure): the Opaque Secret &lt;name&gt;-oauth2 (client-id, client-secret,
/// token-endpoint, and next-client-secret while a rotation waits), the verifier annotation the token endpoint reads, and
/// the status fragment.
/// </summary>
internal static class ClientSecretRendering
{
    public const string ClientIdKey = "client-id";
    public const string ClientSecretKey = "client-secret";
    public const string NextClientSecretKey = "next-client-secret";
    public const string TokenEndpointKey = "token-endpoint";

    /// <summary>The token endpoint's URL: the issuer's, plus /oauth2/token (what discovery advertises as token_endpoint).</summary>
    public static string TokenEndpoint(string issuerUrl) => issuerUrl.TrimEnd('/') + Issuer.IssuerDocuments.TokenPath;

    public static V1Secret Secret(ServiceIdentity identity, DesiredClientSecret desired, SpiffeId clientId, string tokenEndpoint, ClientSecretState state)
    {
        var data = new Dictionary<string, byte[]>
        {
            [ClientIdKey] = Encoding.UTF8.GetBytes(clientId.ToString()),
            [TokenEndpointKey] = Encoding.UTF8.GetBytes(tokenEndpoint),
        };
        if (state.Current is not null)
        {
            data[ClientSecretKey] = Encoding.UTF8.GetBytes(state.Current.Presented);
        }
        if (state.Next is not null)
        {
            // Kept here until it is presented (the annotation holds only its hash); pods do not read it.
            data[NextClientSecretKey] = Encoding.UTF8.GetBytes(state.Next.Presented);
        }
        var annotations = new Dictionary<string, string>
        {
            [Labels.SpiffeIdAnnotation] = clientId.ToString(),
            [ApiKeyRendering.RotatedAtAnnotation] = Timestamps.Format(state.RotatedAt),
            [ClientSecretVerifiers.Annotation] = ClientSecretVerifiers.Format(state.Verifiers),
        };
        ManagedSecrets.AddIfSet(annotations, Labels.RotationRequestAnnotation, state.ActedOn);
        ManagedSecrets.AddIfSet(annotations, ApiKeyRendering.NextRotationRequestAnnotation, state.Next is not null ? state.NextRequest : null);
        ManagedSecrets.AddIfSet(annotations, ApiKeyRendering.NextKeyStagedAtAnnotation,
            state.Next is not null && state.StagedAt is { } stagedAt ? Timestamps.Format(stagedAt) : null);
        return ManagedSecrets.ManagedSecret(identity, desired.SecretName, "Opaque", annotations, data);
    }

    /// <summary>Reads a Secret this kind wrote back into its state (gather step); what it does not say falls back to <paramref name="now"/> or nothing.</summary>
    public static ClientSecretState Read(V1Secret? secret, DateTimeOffset now) => new(
        ApiKeyMaterial.Parse(ManagedSecrets.Text(secret, ClientSecretKey)),
        ApiKeyMaterial.Parse(ManagedSecrets.Text(secret, NextClientSecretKey)),
        Time(secret, ApiKeyRendering.RotatedAtAnnotation) ?? now,
        ManagedSecrets.Annotation(secret, Labels.RotationRequestAnnotation),
        ManagedSecrets.Annotation(secret, ApiKeyRendering.NextRotationRequestAnnotation),
        Time(secret, ApiKeyRendering.NextKeyStagedAtAnnotation),
        ClientSecretVerifiers.Parse(ManagedSecrets.Annotation(secret, ClientSecretVerifiers.Annotation)));

    /// <summary>Whether writing <paramref name="desired"/> over <paramref name="current"/> would change anything (so an idle pass writes nothing).</summary>
    public static bool Same(V1Secret current, V1Secret desired) =>
        current.Type == desired.Type
        && SameMap(current.Metadata.Annotations, desired.Metadata.Annotations, string.Equals)
        && SameMap(current.Metadata.Labels, desired.Metadata.Labels, string.Equals)
        && SameMap(current.Data, desired.Data, (a, b) => a.AsSpan().SequenceEqual(b));

    /// <summary>status.oauth2: the client id, and for a client secret its Secret, the id of the secret presented now and when it rotates.</summary>
    public static OAuth2Status Status(SpiffeId clientId, DesiredClientSecret? desired, ApiKeyMaterial? current, DateTimeOffset? nextRotation) => new()
    {
        SecretName = desired?.SecretName,
        ClientId = clientId.ToString(),
        CurrentKeyId = current?.KeyId,
        NextRotationTime = nextRotation,
    };

    /// <summary>The client secret's clause of a Ready=True message.</summary>
    public static string ReadyMessage(OAuth2Status status) =>
        status.SecretName is null ? "OAuth 2.0 client authenticates with its X.509-SVID" : "OAuth 2.0 client secret current";

    private static DateTimeOffset? Time(V1Secret? secret, string annotation) =>
        ManagedSecrets.Annotation(secret, annotation) is { } value && DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : null;

    private static bool SameMap<T>(IDictionary<string, T>? a, IDictionary<string, T>? b, Func<T, T, bool> equal) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, T>()).All(e => b is not null && b.TryGetValue(e.Key, out var other) && equal(e.Value, other));
}
