using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;

namespace Sigil.Authority;

/// <summary>
/// Publishes the trust bundle as one certificates.k8s.io ClusterTrustBundle per trust domain, where the cluster serves
/// that kind, so pods can mount it with a clusterTrustBundle projected volume. It has no signerName (Sigil is not a
/// kubelet signer) and is labelled as Sigil's; one with that name that Sigil did not create is left alone.
/// </summary>
/// <remarks>
/// Whether the API serves the kind is discovered on the first call and again after any failure; a cluster that
/// starts serving it later is noticed when the operator restarts. The last PEM known to be in the cluster is
/// remembered, so publishing an unchanged bundle costs no request at all. Calls are serialized.
/// </remarks>
internal sealed partial class ClusterTrustBundlePublisher(IKubernetes client, ILogger logger) : IDisposable
{
    public const string Group = "certificates.k8s.io";
    public const string Plural = "clustertrustbundles";
    public const string Kind = "ClusterTrustBundle";

    // The GA version first for clusters that have it; KubernetesClient models v1 and v1beta1, and the object is the
    // same in every version, so one model serves all three.
    private static readonly string[] PreferredVersions = ["v1", "v1beta1", "v1alpha1"];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, string> _settled = [];
    private readonly HashSet<string> _foreignLogged = [];
    private bool _discovered;
    private string? _version;
    private bool _absenceLogged;

    /// <summary>The served version in use, once discovered; null when the cluster does not serve ClusterTrustBundles.</summary>
    public string? ServedVersion => _version;

    /// <summary>
    /// <c>sigil-&lt;trust domain&gt;</c>, a DNS subdomain (no ':', as a bundle without signerName requires). A trust
    /// domain that would not make one (an underscore, or too long) gets a readable prefix and a hash of the whole.
    /// </summary>
    public static string NameFor(string trustDomain)
    {
        var plain = "sigil-" + trustDomain;
        if (plain.Length <= 253 && DnsSubdomain().IsMatch(plain))
        {
            return plain;
        }
        var readable = DisallowedRun().Replace(trustDomain.ToLowerInvariant(), "-").Trim('-');
        readable = readable[..Math.Min(readable.Length, 200)].TrimEnd('-');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trustDomain)))[..10];
        return readable.Length == 0 ? $"sigil-{hash}" : $"sigil-{readable}-{hash}";
    }

    /// <summary>
    /// Creates or updates the trust domain's ClusterTrustBundle to hold <paramref name="pem"/>; writes nothing when it
    /// already does, and does nothing where the kind is not served. API errors are thrown for the caller to retry.
    /// </summary>
    public async Task PublishAsync(string trustDomain, string pem, CancellationToken ct)
    {
        var name = NameFor(trustDomain);
        await _gate.WaitAsync(ct);
        try
        {
            if (_settled.TryGetValue(name, out var settled) && settled == pem)
            {
                return;
            }
            if (!_discovered)
            {
                _version = await DiscoverAsync(ct);
                _discovered = true;
            }
            if (_version is null)
            {
                if (!_absenceLogged)
                {
                    _absenceLogged = true;
                    logger.LogInformation("The cluster does not serve {Group} {Resource}; the trust bundle is published in ConfigMaps only", Group, Plural);
                }
                return;
            }
            await WriteAsync(_version, name, pem, ct);
            _settled[name] = pem;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _discovered = false;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteAsync(string version, string name, string pem, CancellationToken ct)
    {
        using var bundles = new GenericClient(client, Group, version, Plural, disposeClient: false);
        var current = await ReadAsync(bundles, name, ct);
        if (current is null)
        {
            try
            {
                await bundles.CreateAsync(Desired(version, name, pem, null), ct);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                current = await ReadAsync(bundles, name, ct) ?? throw new InvalidOperationException($"ClusterTrustBundle {name} was created and deleted concurrently");
            }
        }
        if (current.Metadata?.Labels is not { } labels || !labels.TryGetValue(Labels.ManagedBy, out var managedBy) || managedBy != Labels.ManagedByValue)
        {
            if (_foreignLogged.Add(name))
            {
                logger.LogWarning("ClusterTrustBundle {ClusterTrustBundle} exists and was not created by Sigil; leaving it alone. Delete it to let Sigil publish the trust bundle there",
                    name);
            }
            return;
        }
        if (current.Spec?.TrustBundle == pem)
        {
            return;
        }
        // Replace with the resourceVersion read: a concurrent change is a Conflict, retried by the caller.
        await bundles.ReplaceAsync(Desired(version, name, pem, current), name, ct);
    }

    public void Dispose() => _gate.Dispose();

    private static V1beta1ClusterTrustBundle Desired(string version, string name, string pem, V1beta1ClusterTrustBundle? current) => new()
    {
        ApiVersion = $"{Group}/{version}",
        Kind = Kind,
        Metadata = new V1ObjectMeta
        {
            Name = name,
            ResourceVersion = current?.Metadata?.ResourceVersion,
            Labels = new Dictionary<string, string>(current?.Metadata?.Labels ?? new Dictionary<string, string>()) { [Labels.ManagedBy] = Labels.ManagedByValue },
            Annotations = current?.Metadata?.Annotations,
        },
        Spec = new V1beta1ClusterTrustBundleSpec { TrustBundle = pem },
    };

    private static async Task<V1beta1ClusterTrustBundle?> ReadAsync(GenericClient bundles, string name, CancellationToken ct)
    {
        try
        {
            return await bundles.ReadAsync<V1beta1ClusterTrustBundle>(name, ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<string?> DiscoverAsync(CancellationToken ct)
    {
        var groups = await client.Apis.GetAPIVersionsAsync(ct);
        var served = groups.Groups?.FirstOrDefault(g => g.Name == Group)?.Versions?.Select(v => v.Version).ToHashSet() ?? [];
        foreach (var version in PreferredVersions.Where(served.Contains))
        {
            var resources = await ResourcesAsync(version, ct);
            if (resources?.Resources?.Any(r => r.Name == Plural) == true)
            {
                return version;
            }
        }
        return null;
    }

    private async Task<V1APIResourceList?> ResourcesAsync(string version, CancellationToken ct)
    {
        switch (version)
        {
            case "v1":
                return await client.CertificatesV1.GetAPIResourcesAsync(ct);
            case "v1beta1":
                return await client.CertificatesV1beta1.GetAPIResourcesAsync(ct);
        }
        // KubernetesClient has no typed v1alpha1 discovery: a plain GET with the client's own HttpClient and credentials.
        if (client is not Kubernetes kubernetes)
        {
            return null;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kubernetes.BaseUri.ToString().TrimEnd('/') + $"/apis/{Group}/{version}"));
        if (kubernetes.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct);
        }
        using var response = await kubernetes.HttpClient.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return KubernetesJson.Deserialize<V1APIResourceList>(await response.Content.ReadAsStringAsync(ct));
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex DisallowedRun();
}
