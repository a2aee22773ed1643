using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Sigil.Api;

/// <summary>
/// A service's workload identity: its SPIFFE X.509-SVID, the API keys and JWT-SVIDs it presents. Kept in step with
/// crds/sigil.dev_serviceidentities.yaml by a test (every property here is a property there, and back).
/// </summary>
public sealed class ServiceIdentity : IKubernetesObject<V1ObjectMeta>, ISpec<ServiceIdentitySpec>, IStatus<ServiceIdentityStatus?>
{
    public const string Group = "sigil.dev";
    public const string Version = "v1alpha1";
    public const string Plural = "serviceidentities";
    public const string KindName = "ServiceIdentity";
    public const string GroupVersion = Group + "/" + Version;

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public ServiceIdentitySpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public ServiceIdentityStatus? Status { get; set; }
}

public sealed class ServiceIdentityList : IKubernetesObject<V1ListMeta>, IItems<ServiceIdentity>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ServiceIdentity.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ServiceIdentity.KindName + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<ServiceIdentity> Items { get; set; } = [];
}

public sealed class ServiceIdentitySpec
{
    [JsonPropertyName("serviceAccountName")]
    public string? ServiceAccountName { get; set; }

    [JsonPropertyName("x509")]
    public X509Spec? X509 { get; set; }

    [JsonPropertyName("apiKeys")]
    public IList<ApiKeySpec>? ApiKeys { get; set; }

    [JsonPropertyName("jwt")]
    public JwtSpec? Jwt { get; set; }

    [JsonPropertyName("oauth2")]
    public OAuth2Spec? OAuth2 { get; set; }

    [JsonPropertyName("acceptsFrom")]
    public IList<AcceptedCaller>? AcceptsFrom { get; set; }

    [JsonPropertyName("restartOnRotation")]
    public IList<WorkloadReference>? RestartOnRotation { get; set; }
}

public sealed class X509Spec
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }

    [JsonPropertyName("ttl")]
    public string? Ttl { get; set; }

    [JsonPropertyName("renewBefore")]
    public string? RenewBefore { get; set; }

    [JsonPropertyName("keyAlgorithm")]
    public string? KeyAlgorithm { get; set; }

    [JsonPropertyName("dnsNames")]
    public IList<string>? DnsNames { get; set; }
}

public sealed class ApiKeySpec
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }

    [JsonPropertyName("audience")]
    public string Audience { get; set; } = "";

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("rotation")]
    public RotationSpec Rotation { get; set; } = new();
}

/// <summary>spec.jwt: the JWT-SVIDs this service presents, one per audience, in one Opaque Secret.</summary>
public sealed class JwtSpec
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }

    [JsonPropertyName("ttl")]
    public string? Ttl { get; set; }

    [JsonPropertyName("audiences")]
    public IList<JwtAudienceSpec>? Audiences { get; set; }
}

public sealed class JwtAudienceSpec
{
    /// <summary>The token's key in the Secret is &lt;name&gt;.jwt.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>A ServiceIdentity name in this namespace, a SPIFFE ID, or an https URL.</summary>
    [JsonPropertyName("audience")]
    public string Audience { get; set; } = "";
}

/// <summary>
/// spec.oauth2: this service is an OAuth 2.0 client of Sigil's token endpoint. With no clientSecret it authenticates with
/// its X.509-SVID only (tls_client_auth or private_key_jwt) and nothing is written.
/// </summary>
public sealed class OAuth2Spec
{
    [JsonPropertyName("clientSecret")]
    public OAuth2ClientSecretSpec? ClientSecret { get; set; }
}

/// <summary>spec.oauth2.clientSecret: a rotating client secret in &lt;name&gt;-oauth2 (client-id, client-secret, token-endpoint).</summary>
public sealed class OAuth2ClientSecretSpec
{
    [JsonPropertyName("secretName")]
    public string? SecretName { get; set; }

    [JsonPropertyName("rotation")]
    public RotationSpec Rotation { get; set; } = new();
}

public sealed class RotationSpec
{
    [JsonPropertyName("every")]
    public string? Every { get; set; }

    [JsonPropertyName("schedule")]
    public string? Schedule { get; set; }

    [JsonPropertyName("gracePeriod")]
    public string? GracePeriod { get; set; }
}

public sealed class AcceptedCaller
{
    [JsonPropertyName("serviceIdentity")]
    public string? ServiceIdentity { get; set; }

    [JsonPropertyName("spiffeID")]
    public string? SpiffeId { get; set; }

    /// <summary>OAuth 2.0 scopes the token endpoint may grant this caller for this audience (RFC 6749 3.3 scope-tokens).</summary>
    [JsonPropertyName("scopes")]
    public IList<string>? Scopes { get; set; }
}

public sealed class WorkloadReference
{
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("name")]
    public string Name { get; set; } = "";
}
