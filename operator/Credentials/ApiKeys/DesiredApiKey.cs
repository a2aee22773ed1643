using Sigil.Api;

namespace Sigil.Credentials.ApiKeys;

/// <summary>One of spec.apiKeys with defaults applied and its rotation rule parsed: what to keep in the caller's Secret.</summary>
internal sealed record DesiredApiKey(ApiKeySpec Spec, string Type, string SecretName, KeySchedule Schedule)
{
    public string Name => Spec.Name;

    /// <summary>Reads one key of the spec (pure); <c>Invalid</c> says what to change. A key that is invalid stops only itself.</summary>
    public static (DesiredApiKey? Key, string? Invalid) FromSpec(ServiceIdentity identity, ApiKeySpec key)
    {
        var (schedule, error) = KeySchedule.Parse(key.Name, key.Rotation.Every, key.Rotation.Schedule, key.Rotation.GracePeriod);
        if (schedule is null)
        {
            return (null, error);
        }
        var type = string.IsNullOrEmpty(key.Type) ? "Bearer" : key.Type;
        return (new DesiredApiKey(key, type, SecretClaimPolicy.ApiKeySecretName(identity, key), schedule), null);
    }
}
