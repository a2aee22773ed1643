using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.KubeTypes;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Request bodies in <c>application/vnd.kubernetes.protobuf</c>, which typed Go clients (kubectl create, helm's
/// release Secrets, DeleteOptions) send for built-in kinds. They are read from Kubernetes' own definitions
/// (<see cref="KubeTypeDescriptors"/>) into JSON; responses are always JSON, which those clients accept.
/// </summary>
internal static class ProtobufBodies
{
    public static bool IsProtobuf(string? contentType) => contentType?.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal) == true;

    public static JsonObject Decode(ReadOnlySpan<byte> body) => ProtobufEnvelope.Decode(body.ToArray());
}
