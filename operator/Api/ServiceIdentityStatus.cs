using System.Text.Json.Serialization;

namespace Sigil.Api;

public sealed record ServiceIdentityStatus
{
    [JsonPropertyName("spiffeID")]
    public string? SpiffeId { get; init; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; init; }

    [JsonPropertyName("conditions")]
    public IReadOnlyList<Condition>? Conditions { get; init; }

    [JsonPropertyName("x509")]
    public X509Status? X509 { get; init; }

    [JsonPropertyName("apiKeys")]
    public IReadOnlyList<ApiKeyStatus>? ApiKeys { get; init; }

    [JsonPropertyName("jwt")]
    public JwtStatus? Jwt { get; init; }

    [JsonPropertyName("oauth2")]
    public OAuth2Status? OAuth2 { get; init; }

    [JsonPropertyName("lastRotationTime")]
    public DateTimeOffset? LastRotationTime { get; init; }

    [JsonPropertyName("nextRotationTime")]
    public DateTimeOffset? NextRotationTime { get; init; }

    [JsonPropertyName("lastRotationRequest")]
    public string? LastRotationRequest { get; init; }
}

public sealed record Condition
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "";

    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("lastTransitionTime")]
    public DateTimeOffset? LastTransitionTime { get; init; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; init; }
}

public sealed record X509Status
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; init; }

    [JsonPropertyName("serialNumber")]
    public string? SerialNumber { get; init; }

    [JsonPropertyName("fingerprintSHA256")]
    public string? FingerprintSha256 { get; init; }

    [JsonPropertyName("keyAlgorithm")]
    public string? KeyAlgorithm { get; init; }

    [JsonPropertyName("notBefore")]
    public DateTimeOffset? NotBefore { get; init; }

    [JsonPropertyName("notAfter")]
    public DateTimeOffset? NotAfter { get; init; }

    [JsonPropertyName("renewalTime")]
    public DateTimeOffset? RenewalTime { get; init; }
}

public sealed record ApiKeyStatus
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("secretName")]
    public string? SecretName { get; init; }

    [JsonPropertyName("currentKeyId")]
    public string? CurrentKeyId { get; init; }

    [JsonPropertyName("activeKeyIds")]
    public IReadOnlyList<string>? ActiveKeyIds { get; init; }

    [JsonPropertyName("lastRotationTime")]
    public DateTimeOffset? LastRotationTime { get; init; }

    [JsonPropertyName("nextRotationTime")]
    public DateTimeOffset? NextRotationTime { get; init; }
}

public sealed record JwtStatus
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; init; }

    /// <summary>The kid of the key that signed the newest token in the Secret.</summary>
    [JsonPropertyName("keyId")]
    public string? KeyId { get; init; }

    [JsonPropertyName("audiences")]
    public IReadOnlyList<JwtAudienceStatus>? Audiences { get; init; }

    [JsonPropertyName("nextRotationTime")]
    public DateTimeOffset? NextRotationTime { get; init; }
}

public sealed record JwtAudienceStatus
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("expiresAt")]
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>status.oauth2: the client secret currently presented in &lt;name&gt;-oauth2 (its id, never the secret).</summary>
public sealed record OAuth2Status
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; init; }

    /// <summary>The client_id the token endpoint knows this identity by: its SPIFFE ID.</summary>
    [JsonPropertyName("clientID")]
    public string? ClientId { get; init; }

    [JsonPropertyName("currentKeyId")]
    public string? CurrentKeyId { get; init; }

    [JsonPropertyName("nextRotationTime")]
    public DateTimeOffset? NextRotationTime { get; init; }
}
