using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>What informers drop or share before caching (client-go's TransformStripManagedFields, and more).</summary>
internal static class CacheTransforms
{
    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    // Values that repeat on every cached object (apiVersion, kind, namespace, label and annotation keys, ...). The JSON
    // reader makes a new string for each; sharing one instance saves about a kilobyte per identity. Only few-valued
    // fields go in (label and annotation keys, of which a cluster has few, but no values besides managed-by), so the
    // pool stays small; names, uids and label or annotation values never do. It is never emptied.
    private static readonly ConcurrentDictionary<string, string> Shared = new(StringComparer.Ordinal);

    /// <summary>
    /// Drops managedFields and kubectl's last-applied copy of the whole object, often the largest parts of an object,
    /// which the operator reads neither of (status patches never send metadata, so nothing stripped is written back),
    /// and shares the strings every object repeats.
    /// </summary>
    public static T Slim<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        var metadata = obj.Metadata;
        metadata.ManagedFields = null;
        metadata.Annotations?.Remove(LastApplied);
        obj.ApiVersion = Share(obj.ApiVersion);
        obj.Kind = Share(obj.Kind);
        metadata.NamespaceProperty = Share(metadata.NamespaceProperty);
        metadata.Labels = ShareKeys(metadata.Labels, shareValue: key => key == Api.Labels.ManagedBy);
        metadata.Annotations = ShareKeys(metadata.Annotations, shareValue: _ => false);
        foreach (var owner in metadata.OwnerReferences ?? [])
        {
            owner.ApiVersion = Share(owner.ApiVersion);
            owner.Kind = Share(owner.Kind);
        }
        if (obj is V1Secret secret)
        {
            secret.Type = Share(secret.Type);
        }
        return obj;
    }

    private static Dictionary<string, string>? ShareKeys(IDictionary<string, string>? map, Func<string, bool> shareValue) =>
        map is null ? null : map.ToDictionary(e => Share(e.Key), e => shareValue(e.Key) ? Share(e.Value) : e.Value, StringComparer.Ordinal);

    private static string Share(string value) => value is null ? value! : Shared.GetOrAdd(value, value);
}
