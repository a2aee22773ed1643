using System.Text;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Reads the Kubernetes protobuf envelope (<c>k8s\0</c> + runtime.Unknown) for the few built-in kinds
/// whose typed Go clients send protobuf bodies: helm's release Secrets, <c>kubectl create secret|configmap|
/// namespace|serviceaccount</c>, and DeleteOptions. Responses are always JSON, which those clients accept.
/// Field numbers come from k8s.io/api's generated.proto; there is no protobuf schema package to lean on.
/// </summary>
internal static class ProtobufBodies
{
    private enum Kind { String, Bytes, Int, Bool, Time, Message, MapStringString, MapStringBytes, RepeatedString, RepeatedMessage }

    private sealed record Field(string Name, Kind Kind, string? Message = null);

    private static readonly Dictionary<string, Dictionary<int, Field>> Messages = new()
    {
        ["ObjectMeta"] = new()
        {
            [1] = new("name", Kind.String), [2] = new("generateName", Kind.String), [3] = new("namespace", Kind.String),
            [5] = new("uid", Kind.String), [6] = new("resourceVersion", Kind.String), [7] = new("generation", Kind.Int),
            [8] = new("creationTimestamp", Kind.Time), [9] = new("deletionTimestamp", Kind.Time),
            [10] = new("deletionGracePeriodSeconds", Kind.Int), [11] = new("labels", Kind.MapStringString),
            [12] = new("annotations", Kind.MapStringString), [13] = new("ownerReferences", Kind.RepeatedMessage, "OwnerReference"),
            [14] = new("finalizers", Kind.RepeatedString),
        },
        ["OwnerReference"] = new()
        {
            [1] = new("kind", Kind.String), [3] = new("name", Kind.String), [4] = new("uid", Kind.String),
            [5] = new("apiVersion", Kind.String), [6] = new("controller", Kind.Bool), [7] = new("blockOwnerDeletion", Kind.Bool),
        },
        ["ObjectReference"] = new()
        {
            [1] = new("kind", Kind.String), [2] = new("namespace", Kind.String), [3] = new("name", Kind.String),
            [4] = new("uid", Kind.String), [5] = new("apiVersion", Kind.String), [6] = new("resourceVersion", Kind.String),
            [7] = new("fieldPath", Kind.String),
        },
        ["LocalObjectReference"] = new() { [1] = new("name", Kind.String) },
        ["Secret"] = new()
        {
            [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("data", Kind.MapStringBytes), [3] = new("type", Kind.String),
            [4] = new("stringData", Kind.MapStringString), [5] = new("immutable", Kind.Bool),
        },
        ["ConfigMap"] = new()
        {
            [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("data", Kind.MapStringString),
            [3] = new("binaryData", Kind.MapStringBytes), [4] = new("immutable", Kind.Bool),
        },
        ["Namespace"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, "NamespaceSpec") },
        ["NamespaceSpec"] = new() { [1] = new("finalizers", Kind.RepeatedString) },
        ["ServiceAccount"] = new()
        {
            [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("secrets", Kind.RepeatedMessage, "ObjectReference"),
            [3] = new("imagePullSecrets", Kind.RepeatedMessage, "LocalObjectReference"), [4] = new("automountServiceAccountToken", Kind.Bool),
        },
        ["DeleteOptions"] = new()
        {
            [1] = new("gracePeriodSeconds", Kind.Int), [2] = new("preconditions", Kind.Message, "Preconditions"),
            [3] = new("orphanDependents", Kind.Bool), [4] = new("propagationPolicy", Kind.String), [5] = new("dryRun", Kind.RepeatedString),
        },
        ["Preconditions"] = new() { [1] = new("uid", Kind.String), [2] = new("resourceVersion", Kind.String) },
    };

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static bool IsProtobuf(string? contentType) => contentType?.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal) == true;

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw ApiException.BadRequest("a protobuf body must start with the k8s\\0 envelope prefix");
        }
        var envelope = new Reader(body[Magic.Length..].ToArray());
        string apiVersion = "", kind = "";
        byte[] raw = [];
        while (envelope.TryReadTag(out var number, out var wireType))
        {
            switch (number)
            {
                case 1:
                    var typeMeta = new Reader(envelope.ReadBytes());
                    while (typeMeta.TryReadTag(out var n, out var w))
                    {
                        if (n == 1) { apiVersion = typeMeta.ReadString(); }
                        else if (n == 2) { kind = typeMeta.ReadString(); }
                        else { typeMeta.Skip(w); }
                    }
                    break;
                case 2:
                    raw = envelope.ReadBytes();
                    break;
                default:
                    envelope.Skip(wireType);
                    break;
            }
        }
        if (!Messages.ContainsKey(kind) || kind is "ObjectMeta" or "OwnerReference")
        {
            throw ApiException.UnsupportedMediaType(
                $"the sigil local control plane reads protobuf bodies only for Secret, ConfigMap, Namespace, ServiceAccount and DeleteOptions, not {kind}; send application/json");
        }
        var obj = ReadMessage(new Reader(raw), kind);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject ReadMessage(Reader reader, string message)
    {
        var fields = Messages[message];
        var obj = new JsonObject();
        while (reader.TryReadTag(out var number, out var wireType))
        {
            if (!fields.TryGetValue(number, out var field))
            {
                reader.Skip(wireType);
                continue;
            }
            switch (field.Kind)
            {
                case Kind.String:
                    obj[field.Name] = reader.ReadString();
                    break;
                case Kind.Bytes:
                    obj[field.Name] = Convert.ToBase64String(reader.ReadBytes());
                    break;
                case Kind.Int:
                    obj[field.Name] = (long)reader.ReadVarint();
                    break;
                case Kind.Bool:
                    obj[field.Name] = reader.ReadVarint() != 0;
                    break;
                case Kind.Time:
                    obj[field.Name] = ReadTime(new Reader(reader.ReadBytes()));
                    break;
                case Kind.Message:
                    obj[field.Name] = ReadMessage(new Reader(reader.ReadBytes()), field.Message!);
                    break;
                case Kind.RepeatedString:
                    (obj[field.Name] as JsonArray ?? (JsonArray)(obj[field.Name] = new JsonArray())).Add(reader.ReadString());
                    break;
                case Kind.RepeatedMessage:
                    (obj[field.Name] as JsonArray ?? (JsonArray)(obj[field.Name] = new JsonArray())).Add(ReadMessage(new Reader(reader.ReadBytes()), field.Message!));
                    break;
                case Kind.MapStringString or Kind.MapStringBytes:
                    var (key, value) = ReadEntry(new Reader(reader.ReadBytes()), field.Kind == Kind.MapStringBytes);
                    (obj[field.Name] as JsonObject ?? (JsonObject)(obj[field.Name] = new JsonObject()))[key] = value;
                    break;
            }
        }
        return obj;
    }

    private static (string Key, string Value) ReadEntry(Reader entry, bool bytesValue)
    {
        string key = "", value = "";
        while (entry.TryReadTag(out var n, out var w))
        {
            if (n == 1) { key = entry.ReadString(); }
            else if (n == 2) { value = bytesValue ? Convert.ToBase64String(entry.ReadBytes()) : entry.ReadString(); }
            else { entry.Skip(w); }
        }
        return (key, value);
    }

    private static string ReadTime(Reader time)
    {
        long seconds = 0;
        while (time.TryReadTag(out var n, out var w))
        {
            if (n == 1) { seconds = (long)time.ReadVarint(); }
            else { time.Skip(w); }
        }
        return Json.Timestamp(DateTimeOffset.FromUnixTimeSeconds(seconds));
    }

    private sealed class Reader(byte[] data)
    {
        private int _position;

        public bool TryReadTag(out int number, out int wireType)
        {
            if (_position >= data.Length)
            {
                (number, wireType) = (0, 0);
                return false;
            }
            var tag = ReadVarint();
            (number, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= data.Length)
                {
                    throw ApiException.BadRequest("truncated protobuf body");
                }
                var b = data[_position++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }
            throw ApiException.BadRequest("malformed protobuf varint");
        }

        public byte[] ReadBytes()
        {
            var length = (int)ReadVarint();
            if (length < 0 || _position + length > data.Length)
            {
                throw ApiException.BadRequest("truncated protobuf body");
            }
            var bytes = data.AsSpan(_position, length).ToArray();
            _position += length;
            return bytes;
        }

        public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: ReadVarint(); break;
                case 1: _position += 8; break;
                case 2: ReadBytes(); break;
                case 5: _position += 4; break;
                default: throw ApiException.BadRequest($"unsupported protobuf wire type {wireType}");
            }
        }
    }
}
