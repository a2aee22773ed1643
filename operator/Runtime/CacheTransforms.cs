using k8s;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>What informers drop before caching (client-go's TransformStripManagedFields, and more).</summary>
internal static class CacheTransforms
{
    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>
    /// managedFields and kubectl's last-applied copy of the whole object are often the largest parts of an object,
    /// and the operator reads neither. Status patches never send metadata, so nothing stripped is written back.
    /// </summary>
    public static T StripBookkeeping<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        obj.Metadata.ManagedFields = null;
        if (obj.Metadata.Annotations is { } annotations && annotations.ContainsKey(LastApplied))
        {
            annotations.Remove(LastApplied);
        }
        return obj;
    }
}
