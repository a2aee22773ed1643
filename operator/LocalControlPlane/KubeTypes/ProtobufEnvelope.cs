using System.Text.Json.Nodes;
using Google.Protobuf;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.KubeTypes;

/// <summary>
/// The envelope kube-apiserver's protobuf serializer puts around every object: the magic <c>k8s\0</c>, then a
/// runtime.Unknown whose typeMeta names the apiVersion and kind and whose raw holds the object's own message.
/// </summary>
internal static class ProtobufEnvelope
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    /// <summary>The object as JSON, with apiVersion and kind from the envelope; a clear 400 or 415 for what it cannot read.</summary>
    public static JsonObject Decode(byte[] body, int depth = 0)
    {
        if (!body.AsSpan().StartsWith(Magic))
        {
            throw ApiException.BadRequest("a protobuf body must start with the k8s\\0 envelope prefix");
        }
        var unknown = KubeTypeDescriptors.Instance.Messages["k8s.io.apimachinery.pkg.runtime.Unknown"];
        var envelope = ProtobufObjectReader.Read(unknown, body[Magic.Length..], depth);
        var apiVersion = (string?)envelope["typeMeta"]?["apiVersion"] ?? "";
        var kind = (string?)envelope["typeMeta"]?["kind"] ?? "";
        if ((string?)envelope["contentEncoding"] is { Length: > 0 } encoding)
        {
            throw ApiException.UnsupportedMediaType($"protobuf bodies with content encoding {encoding} are not supported; send them unencoded");
        }
        var message = KubeTypeDescriptors.Instance.FindKind(apiVersion, kind)
            ?? throw ApiException.UnsupportedMediaType(
                $"the sigil local control plane has no protobuf definition of kind \"{kind}\" in \"{apiVersion}\" (it knows the built-in kinds it serves); send application/json");
        var raw = envelope["raw"] is JsonValue r ? Convert.FromBase64String((string)r!) : [];
        var obj = ProtobufObjectReader.Read(message, raw, depth);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }
}
