using System.Text;
using System.Text.Json.Serialization;
using Sigil.Api;

namespace Sigil.Cli.Day2;

/// <summary>One credential of an identity, as <c>sigil status</c> lists it.</summary>
/// <param name="Kind">x509, apiKey, jwt or oauth2.</param>
/// <param name="Name">The API key's or JWT audience's name; null for x509 and oauth2.</param>
/// <param name="Id">What tells this credential's current version apart: the certificate's serial number, the API key's or
/// client secret's key id, the kid of the key that signed the JWT-SVIDs.</param>
/// <param name="Expires">When it stops being valid (certificates and JWT-SVIDs; API keys and client secrets do not expire, they rotate).</param>
internal sealed record CredentialRow(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("secretName")] string? SecretName,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
    [property: JsonPropertyName("nextRotation")] DateTimeOffset? NextRotation);

/// <summary>One identity: readiness from its Ready condition, and each credential.</summary>
/// <param name="Ready">Ready=True. False also when there is no Ready condition yet.</param>
/// <param name="UpToDate">The status was written for the current spec (observedGeneration = generation).</param>
internal sealed record IdentityRow(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("spiffeID")] string? SpiffeId,
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("upToDate")] bool UpToDate,
    [property: JsonPropertyName("lastRotationTime")] DateTimeOffset? LastRotationTime,
    [property: JsonPropertyName("nextRotationTime")] DateTimeOffset? NextRotationTime,
    [property: JsonPropertyName("lastRotationRequest")] string? LastRotationRequest,
    [property: JsonPropertyName("credentials")] IReadOnlyList<CredentialRow> Credentials)
{
    [JsonIgnore]
    public string Key => $"{Namespace}/{Name}";
}

/// <summary>What <c>sigil status</c> prints: the identities and the root of trust.</summary>
internal sealed record StatusReport(
    [property: JsonPropertyName("identities")] IReadOnlyList<IdentityRow> Identities,
    [property: JsonPropertyName("authority")] AuthorityReport? Authority)
{
    [JsonPropertyName("notReady")]
    public IReadOnlyList<string> NotReady => [.. Identities.Where(i => !i.Ready).Select(i => i.Key)];
}

/// <summary>Rows from ServiceIdentity objects (pure: what the status says, nothing read elsewhere).</summary>
internal static class StatusRows
{
    public static IdentityRow Of(ServiceIdentity identity)
    {
        var status = identity.Status;
        var ready = status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        var credentials = new List<CredentialRow>();
        if (status?.X509 is { } x509)
        {
            credentials.Add(new CredentialRow("x509", null, x509.SecretName, x509.SerialNumber, x509.NotAfter, x509.RenewalTime));
        }
        foreach (var key in status?.ApiKeys ?? [])
        {
            credentials.Add(new CredentialRow("apiKey", key.Name, key.SecretName, key.CurrentKeyId, null, key.NextRotationTime));
        }
        if (status?.Jwt is { } jwt)
        {
            foreach (var audience in jwt.Audiences ?? [])
            {
                credentials.Add(new CredentialRow("jwt", audience.Name, jwt.SecretName, jwt.KeyId, audience.ExpiresAt, jwt.NextRotationTime));
            }
        }
        if (status?.OAuth2 is { SecretName: not null } oauth2)
        {
            credentials.Add(new CredentialRow("oauth2", null, oauth2.SecretName, oauth2.CurrentKeyId, null, oauth2.NextRotationTime));
        }
        return new IdentityRow(
            identity.Metadata.NamespaceProperty ?? "", identity.Metadata.Name ?? "", status?.SpiffeId,
            ready?.Status == "True", ready?.Reason ?? (status is null ? "NoStatus" : null), ready?.Message,
            status?.ObservedGeneration is { } seen && seen == (identity.Metadata.Generation ?? seen),
            status?.LastRotationTime, status?.NextRotationTime, status?.LastRotationRequest, credentials);
    }

    public static StatusReport Report(IEnumerable<ServiceIdentity> identities, AuthorityReport? authority) =>
        new([.. identities.Select(Of).OrderBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)], authority);
}

/// <summary>The table of <c>sigil status</c> (pure): one line per credential, then why each identity that is not Ready is not, then the CA and JWT keys.</summary>
internal static class StatusTable
{
    public static string Render(StatusReport report, bool allNamespaces, DateTimeOffset now)
    {
        var text = new StringBuilder();
        if (report.Identities.Count == 0)
        {
            text.Append("No ServiceIdentities found.\n");
        }
        else
        {
            string[] headers = ["NAME", "READY", "REASON", "CREDENTIAL", "SECRET", "ID", "EXPIRES", "NEXT ROTATION"];
            var rows = new List<IReadOnlyList<string>>();
            foreach (var identity in report.Identities)
            {
                string[] lead = [identity.Name, identity.Ready ? "True" : "False", identity.Reason ?? "-"];
                var credentials = identity.Credentials.Count > 0 ? identity.Credentials : [new CredentialRow("-", null, null, null, null, null)];
                foreach (var c in credentials)
                {
                    string[] cells = [.. lead, c.Name is null ? c.Kind : $"{c.Kind}/{c.Name}", c.SecretName ?? "-", c.Id is { } id ? AuthorityTable.Short(id) : "-",
                        Output.Relative(c.Expires, now), Output.Relative(c.NextRotation, now)];
                    rows.Add(allNamespaces ? [identity.Namespace, .. cells] : cells);
                }
            }
            text.Append(TextTable.Render(allNamespaces ? ["NAMESPACE", .. headers] : headers, rows));
            foreach (var identity in report.Identities.Where(i => !i.Ready))
            {
                text.Append($"\n{identity.Key} is not Ready: {identity.Reason ?? "-"}: {identity.Message ?? "no status yet"}");
            }
            if (report.Identities.Any(i => !i.Ready))
            {
                text.Append('\n');
            }
        }
        if (report.Authority is { } authority)
        {
            text.Append('\n').Append(AuthorityTable.Render(authority, now));
        }
        return text.ToString();
    }
}
