using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;
using Sigil.Api;

namespace Sigil.Runtime;

/// <summary>
/// Source-generated System.Text.Json metadata for what the operator reads and writes: its own records and the
/// Kubernetes objects its informers, writes and watches carry. Under NativeAOT, reflection-based System.Text.Json
/// cannot build the generic converters a value-typed property needs (NullableConverter&lt;long&gt;, a record's
/// constructor converter) unless that code was compiled ahead of time; this context is that code. Our own records are
/// read and written through it alone (a type not listed fails in every build, so tests find it); KubernetesClient's
/// own calls fall back to its reflection resolver for Kubernetes types not listed.
/// </summary>
[JsonSerializable(typeof(ServiceIdentity))]
[JsonSerializable(typeof(ServiceIdentityList))]
[JsonSerializable(typeof(ServiceIdentityStatus))]
[JsonSerializable(typeof(List<Credentials.ApiKeys.VerifierEntry>))]
[JsonSerializable(typeof(List<Credentials.OAuth2.ClientSecretVerifier?>))]
[JsonSerializable(typeof(Authority.AuthorityStateCodec.StoredState), TypeInfoPropertyName = "AuthorityStoredState")]
[JsonSerializable(typeof(Authority.JwtKeyStateCodec.StoredState), TypeInfoPropertyName = "JwtKeyStoredState")]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(V1SecretList))]
[JsonSerializable(typeof(V1ConfigMap))]
[JsonSerializable(typeof(V1ConfigMapList))]
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(V1NamespaceList))]
[JsonSerializable(typeof(Eventsv1Event))]
[JsonSerializable(typeof(V1Lease))]
[JsonSerializable(typeof(V1Deployment))]
[JsonSerializable(typeof(V1StatefulSet))]
[JsonSerializable(typeof(V1DaemonSet))]
[JsonSerializable(typeof(V1PodTemplateSpec))]
[JsonSerializable(typeof(V1Status))]
[JsonSerializable(typeof(V1APIResourceList))]
[JsonSerializable(typeof(V1beta1ClusterTrustBundle))]
[JsonSerializable(typeof(V1beta1ClusterTrustBundleList))]
[JsonSerializable(typeof(V1CustomResourceDefinition))]
[JsonSerializable(typeof(Watcher<V1Secret>.WatchEvent))]
[JsonSerializable(typeof(Watcher<V1ConfigMap>.WatchEvent))]
[JsonSerializable(typeof(Watcher<V1Namespace>.WatchEvent))]
[JsonSerializable(typeof(Watcher<object>.WatchEvent))]
[JsonSerializable(typeof(JsonElement))]
// KubernetesClient's exec credential plugin runner writes KUBERNETES_EXEC_INFO with default options (a Dictionary<string,
// bool> inside an object) and reads the plugin's answer through KubernetesJson: listed so NativeAOT compiles both.
[JsonSerializable(typeof(Dictionary<string, bool>))]
[JsonSerializable(typeof(k8s.KubeConfigModels.ExecCredentialResponse))]
internal sealed partial class SigilJsonContext : JsonSerializerContext;

/// <summary>Where the operator's JSON gets its metadata (a class of its own: the context's static initializers, in a
/// generated partial file, run in no defined order with any declared here, and Default could still be null).</summary>
internal static class SigilJson
{
    /// <summary>What our own codecs resolve types with: the source-generated context, no reflection.</summary>
    public static IJsonTypeInfoResolver Resolver => SigilJsonContext.Default;

    /// <summary>The metadata for <typeparamref name="T"/> under <paramref name="options"/> (their converters and ignore conditions
    /// apply), for the serializer overloads that take it: they need no reflection, so NativeAOT compiles them.</summary>
    public static JsonTypeInfo<T> Info<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>Puts the context in front of KubernetesClient's own (reflection) resolver; under NativeAOT only, before any API call.</summary>
    public static void UseForKubernetesClient()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            KubernetesJson.AddJsonOptions(options => options.TypeInfoResolverChain.Insert(0, SigilJsonContext.Default));
        }
    }
}
