using k8s;
using k8s.Models;
using Sigil.Api;
using Sigil.Runtime;

namespace Sigil.Operator;

/// <summary>The list/watch sources the operator's informers use: ServiceIdentities, the Secrets and ConfigMaps Sigil manages, and Namespaces.</summary>
internal static class Sources
{
    private static readonly string ManagedSelector = $"{Labels.ManagedBy}={Labels.ManagedByValue}";

    public static IResourceSource<ServiceIdentity> ServiceIdentities(IKubernetes client) => new ResourceSource<ServiceIdentity>(
        "serviceidentities.sigil.dev",
        async ct =>
        {
            var list = await client.CustomObjects.ListClusterCustomObjectAsync<ServiceIdentityList>(
                ServiceIdentity.Group, ServiceIdentity.Version, ServiceIdentity.Plural, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => Typed(client.CustomObjects.WatchListClusterCustomObjectAsync(
            ServiceIdentity.Group, ServiceIdentity.Version, ServiceIdentity.Plural,
            allowWatchBookmarks: true, resourceVersion: rv, onError: onError, cancellationToken: ct), ct));

    public static IResourceSource<V1Secret> ManagedSecrets(IKubernetes client) => new ResourceSource<V1Secret>(
        "secrets (managed by sigil)",
        async ct =>
        {
            var list = await client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: ManagedSelector, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListSecretForAllNamespacesAsync(
            allowWatchBookmarks: true, labelSelector: ManagedSelector, resourceVersion: rv, onError: onError, cancellationToken: ct));

    public static IResourceSource<V1ConfigMap> ManagedConfigMaps(IKubernetes client) => new ResourceSource<V1ConfigMap>(
        "configmaps (managed by sigil)",
        async ct =>
        {
            var list = await client.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: ManagedSelector, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListConfigMapForAllNamespacesAsync(
            allowWatchBookmarks: true, labelSelector: ManagedSelector, resourceVersion: rv, onError: onError, cancellationToken: ct));

    /// <summary>Every Namespace, for its sigil.dev/allowed-dns-names annotation (annotations cannot be selected on, so all of them).</summary>
    public static IResourceSource<V1Namespace> Namespaces(IKubernetes client) => new ResourceSource<V1Namespace>(
        "namespaces",
        async ct =>
        {
            var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListNamespaceAsync(
            allowWatchBookmarks: true, resourceVersion: rv, onError: onError, cancellationToken: ct));

    private static async IAsyncEnumerable<(WatchEventType, ServiceIdentity)> Typed(IAsyncEnumerable<(WatchEventType, object)> events,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var (type, obj) in events.WithCancellation(ct))
        {
            var raw = obj is System.Text.Json.JsonElement element ? element.GetRawText() : KubernetesJson.Serialize(obj);
            yield return (type, KubernetesJson.Deserialize<ServiceIdentity>(raw));
        }
    }
}
