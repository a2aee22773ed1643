using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials.ApiKeys;

/// <summary>What API keys become (pure): the caller's key Secret, a receiver's verifier Secret, their part of status and of the Ready message.</summary>
internal static class ApiKeyRendering
{
    public const string VerifierSuffix = "-verifiers";
    public const string RotatedAtAnnotation = "sigil.dev/rotated-at";
    public const string NextRotationRequestAnnotation = "sigil.dev/next-rotation-request";
    /// <summary>On a caller key Secret with a next key: since when every accepting receiver's keys.json has held it.</summary>
    public const string NextKeyStagedAtAnnotation = "sigil.dev/next-key-staged-at";

    /// <summary>
    /// A caller's key Secret: the presented key (and the HMAC secret) of <paramref name="current"/>, and a
    /// <paramref name="next"/> key waiting to be promoted, which the caller does not present yet (every accepting
    /// receiver has held it since <paramref name="nextStagedAt"/>, when set).
    /// </summary>
    public static V1Secret CallerKeySecret(ServiceIdentity identity, SpiffeId spiffeId, string secretName, ApiKeySpec key, string type,
        ApiKeyMaterial? current, ApiKeyMaterial? next, DateTimeOffset rotatedAt, string? actedOn, string? nextRequest, DateTimeOffset? nextStagedAt = null)
    {
        var data = new Dictionary<string, byte[]>();
        if (current is not null)
        {
            data["api-key"] = Encoding.UTF8.GetBytes(current.Presented);
            data["key-id"] = Encoding.UTF8.GetBytes(current.KeyId);
            if (type == "HMACSHA256")
            {
                data["hmac-secret"] = Encoding.UTF8.GetBytes(current.Secret);
            }
        }
        if (next is not null)
        {
            data["next-api-key"] = Encoding.UTF8.GetBytes(next.Presented);
        }
        var annotations = new Dictionary<string, string>
        {
            [Labels.SpiffeIdAnnotation] = spiffeId.ToString(),
            ["sigil.dev/audience"] = key.Audience,
            ["sigil.dev/key-type"] = type,
            [RotatedAtAnnotation] = Timestamps.Format(rotatedAt),
        };
        ManagedSecrets.AddIfSet(annotations, Labels.RotationRequestAnnotation, actedOn);
        ManagedSecrets.AddIfSet(annotations, NextRotationRequestAnnotation, nextRequest);
        ManagedSecrets.AddIfSet(annotations, NextKeyStagedAtAnnotation, next is not null && nextStagedAt is { } stagedAt ? Timestamps.Format(stagedAt) : null);
        return ManagedSecrets.ManagedSecret(identity, secretName, "Opaque", annotations, data);
    }

    public static V1Secret VerifierSecret(ServiceIdentity receiver, IReadOnlyList<VerifierEntry> entries) =>
        ManagedSecrets.ManagedSecret(receiver, receiver.Metadata.Name + VerifierSuffix, "Opaque", null,
            new Dictionary<string, byte[]> { ["keys.json"] = VerifierPlan.Serialize(entries) });

    /// <summary>status.apiKeys[] for one key: the key presented now, every key a receiver still accepts, and when it rotates.</summary>
    public static ApiKeyStatus Status(DesiredApiKey key, ApiKeyMaterial current, IEnumerable<string> activeKeyIds, DateTimeOffset rotatedAt, DateTimeOffset nextRotation) => new()
    {
        Name = key.Name,
        SecretName = key.SecretName,
        CurrentKeyId = current.KeyId,
        ActiveKeyIds = [.. activeKeyIds],
        LastRotationTime = rotatedAt,
        NextRotationTime = nextRotation,
    };

    /// <summary>The keys' clause of a Ready=True message.</summary>
    public static string ReadyMessage(IReadOnlyList<ApiKeyStatus> keys) => $"{keys.Count} API key{(keys.Count == 1 ? "" : "s")} current";
}
