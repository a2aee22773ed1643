using System.Text.Json;
using System.Text.Json.Serialization;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Identity;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>Builds the status a pass should leave behind, and tells whether it differs from what is stored (pure).</summary>
internal static class StatusBuilder
{
    private static readonly JsonSerializerOptions Canonical = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new SecondsTimestampConverter() },
        TypeInfoResolver = Runtime.SigilJson.Resolver,
    };

    public static ServiceIdentityStatus Build(
        ServiceIdentity identity,
        SpiffeId spiffeId,
        Readiness readiness,
        X509Status? x509,
        IReadOnlyList<ApiKeyStatus>? apiKeys,
        JwtStatus? jwt,
        DateTimeOffset? lastRotation,
        string? lastRotationRequest,
        DateTimeOffset now,
        OAuth2Status? oauth2 = null)
    {
        var previous = identity.Status;
        var previousReady = previous?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        var status = readiness.Ready ? "True" : "False";
        var unchanged = previousReady is not null && previousReady.Status == status && previousReady.Reason == readiness.Reason && previousReady.Message == readiness.Message;
        var ready = new Condition
        {
            Type = "Ready",
            Status = status,
            Reason = readiness.Reason,
            Message = readiness.Message,
            LastTransitionTime = unchanged ? previousReady!.LastTransitionTime : Timestamps.ToSecond(now),
            ObservedGeneration = identity.Metadata.Generation,
        };
        return new ServiceIdentityStatus
        {
            SpiffeId = spiffeId.ToString(),
            ObservedGeneration = identity.Metadata.Generation,
            Conditions = [ready, .. (previous?.Conditions ?? []).Where(c => c.Type != "Ready")],
            X509 = x509,
            ApiKeys = apiKeys is { Count: > 0 } ? apiKeys : null,
            Jwt = jwt,
            OAuth2 = oauth2,
            LastRotationTime = lastRotation ?? previous?.LastRotationTime,
            NextRotationTime = new[] { x509?.RenewalTime, jwt?.NextRotationTime, oauth2?.NextRotationTime }.Concat((apiKeys ?? []).Select(k => k.NextRotationTime)).Where(t => t is not null).Min(),
            LastRotationRequest = lastRotationRequest ?? previous?.LastRotationRequest,
        };
    }

    /// <summary>Whether writing <paramref name="desired"/> would change what is stored (to the second, as the API keeps times).</summary>
    public static bool Differs(ServiceIdentityStatus? current, ServiceIdentityStatus desired) => ToJson(current) != ToJson(desired);

    public static string ToJson(ServiceIdentityStatus? status) => JsonSerializer.Serialize(status, Canonical.Info<ServiceIdentityStatus?>());

    private sealed class SecondsTimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Timestamps.Format(value));
    }
}
