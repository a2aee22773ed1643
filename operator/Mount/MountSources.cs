using System.Text;
using k8s;
using k8s.Models;
using Sigil.Runtime;

namespace Sigil.Mount;

/// <summary>
/// The one object a folder follows, listed and watched by <c>metadata.name</c> as the kubelet's own watch of a
/// Secret does, and the payload the kubelet would write from it.
/// </summary>
internal static class MountSources
{
    public static IResourceSource<V1Secret> Secret(IKubernetes client, string ns, string name) => new ResourceSource<V1Secret>(
        $"secret {ns}/{name}",
        async ct =>
        {
            var list = await client.CoreV1.ListNamespacedSecretAsync(ns, fieldSelector: ByName(name), cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListNamespacedSecretAsync(ns,
            allowWatchBookmarks: true, fieldSelector: ByName(name), resourceVersion: rv, onError: onError, cancellationToken: ct));

    public static IResourceSource<V1ConfigMap> ConfigMap(IKubernetes client, string ns, string name) => new ResourceSource<V1ConfigMap>(
        $"configmap {ns}/{name}",
        async ct =>
        {
            var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: ByName(name), cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync(ns,
            allowWatchBookmarks: true, fieldSelector: ByName(name), resourceVersion: rv, onError: onError, cancellationToken: ct));

    public static IReadOnlyDictionary<string, byte[]> Payload(V1Secret secret) =>
        secret.Data?.ToDictionary(e => e.Key, e => e.Value ?? []) ?? [];

    /// <summary>A ConfigMap's <c>data</c> (UTF-8) and <c>binaryData</c>, as the kubelet merges them into one volume.</summary>
    public static IReadOnlyDictionary<string, byte[]> Payload(V1ConfigMap configMap)
    {
        var payload = configMap.Data?.ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value ?? "")) ?? [];
        foreach (var (key, value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
        {
            payload[key] = value ?? [];
        }
        return payload;
    }

    private static string ByName(string name) => $"metadata.name={name}";
}
