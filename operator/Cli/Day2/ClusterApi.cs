using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Runtime;

namespace Sigil.Cli.Day2;

/// <summary>The one boundary of the day-2 commands to the Kubernetes API: the reads they gather from and the two writes (sigil.dev/rotate) they act with.</summary>
internal static class ClusterApi
{
    public const string TrustBundleConfigMap = "sigil-trust-bundle";

    /// <summary>The identities of one namespace, or of all (<paramref name="ns"/> null).</summary>
    public static async Task<IReadOnlyList<ServiceIdentity>> IdentitiesAsync(IKubernetes client, string? ns, CancellationToken ct)
    {
        var list = ns is null
            ? await client.CustomObjects.ListClusterCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ServiceIdentity.Plural, cancellationToken: ct)
            : await client.CustomObjects.ListNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, cancellationToken: ct);
        return [.. KubernetesJson.Deserialize<ServiceIdentityList>(((JsonElement)list).GetRawText()).Items];
    }

    public static async Task<ServiceIdentity?> IdentityAsync(IKubernetes client, string ns, string name, CancellationToken ct)
    {
        try
        {
            var obj = await client.CustomObjects.GetNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, name, ct);
            return KubernetesJson.Deserialize<ServiceIdentity>(((JsonElement)obj).GetRawText());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Sets sigil.dev/rotate on an identity (a merge patch: nothing else changes).</summary>
    public static Task RequestIdentityRotationAsync(IKubernetes client, string ns, string name, string value, CancellationToken ct) =>
        client.CustomObjects.PatchNamespacedCustomObjectAsync(MergePatches.SetAnnotation(Labels.RotateAnnotation, value),
            ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, name, cancellationToken: ct);

    public static Task RequestCaRotationAsync(IKubernetes client, string ns, string value, CancellationToken ct) =>
        client.CoreV1.PatchNamespacedSecretAsync(MergePatches.SetAnnotation(Labels.RotateAnnotation, value), AuthorityManager.DefaultSecretName, ns, cancellationToken: ct);

    public static Task<V1Secret?> SecretAsync(IKubernetes client, string ns, string name, CancellationToken ct) => client.ReadSecretOrNullAsync(ns, name, ct);

    /// <summary>ca.crt of the namespace's trust bundle ConfigMap, or null when there is none.</summary>
    public static async Task<string?> TrustBundleAsync(IKubernetes client, string ns, CancellationToken ct)
    {
        try
        {
            var map = await client.CoreV1.ReadNamespacedConfigMapAsync(TrustBundleConfigMap, ns, cancellationToken: ct);
            return map.Data is { } data && data.TryGetValue("ca.crt", out var pem) ? pem : null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The CA and JWT key state; a reader who may not read the operator's Secrets gets the reason, not a failure.</summary>
    public static async Task<AuthorityReport> AuthorityAsync(IKubernetes client, string ns, CancellationToken ct)
    {
        try
        {
            var ca = await client.ReadSecretOrNullAsync(ns, AuthorityManager.DefaultSecretName, ct);
            var trust = ca is null ? await client.ReadSecretOrNullAsync(ns, AuthorityManager.TrustStateSecretName, ct) : null;
            var jwt = await client.ReadSecretOrNullAsync(ns, AuthorityManager.JwtKeysSecretName, ct);
            return AuthorityReader.Read(ns, ca, trust, jwt);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return AuthorityReport.Unreadable(ns, $"not allowed to read Secrets in namespace {ns} ({(int)e.Response.StatusCode})");
        }
    }

    /// <summary>A fresh sigil.dev/rotate value: the time, and a random suffix so two requests in one second differ.</summary>
    public static string NewRotationValue(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";

    public static string Keys(V1Secret secret) => string.Join(", ", (secret.Data?.Keys ?? []).Order(StringComparer.Ordinal));
}
