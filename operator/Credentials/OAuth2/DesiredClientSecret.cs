using System.Text.RegularExpressions;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;

namespace Sigil.Credentials.OAuth2;

/// <summary>
/// spec.oauth2.clientSecret with defaults applied and its rotation rule parsed: which Secret holds the client secret,
/// and when it rotates (the same <see cref="KeySchedule"/> and timing rules as API keys).
/// </summary>
internal sealed partial record DesiredClientSecret(string SecretName, KeySchedule Schedule)
{
    public const string Field = "spec.oauth2.clientSecret";

    /// <summary>
    /// Reads spec.oauth2 (pure). Null with no problem when there is no client secret to keep: no oauth2 block, or one
    /// without clientSecret (the client authenticates with its X.509-SVID). <c>Invalid</c> says what to change; it
    /// stops only the client secret.
    /// </summary>
    public static (DesiredClientSecret? ClientSecret, string? Invalid) FromSpec(ServiceIdentity identity)
    {
        if (identity.Spec.OAuth2?.ClientSecret is not { } spec)
        {
            return (null, null);
        }
        var secretName = SecretClaimPolicy.OAuth2SecretName(identity, spec);
        if (!DnsSubdomain().IsMatch(secretName) || secretName.Length > 253)
        {
            return (null, $"{Field}.secretName \"{secretName}\" is not a valid Secret name");
        }
        var rotation = spec.Rotation ?? new RotationSpec();
        var (schedule, error) = KeySchedule.ParseAt($"{Field}.rotation", rotation.Every, rotation.Schedule, rotation.GracePeriod);
        return schedule is null ? (null, error) : (new DesiredClientSecret(secretName, schedule), null);
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
