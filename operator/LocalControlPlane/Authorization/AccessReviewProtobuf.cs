using System.Text;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Authorization;

/// <summary>
/// Reads the access reviews (and the SelfSubjectReview of <c>kubectl auth whoami</c>) kubectl's typed client sends as protobuf (<c>k8s\0</c> + runtime.Unknown), with field
/// numbers from k8s.io/api authorization/v1 generated.proto. Kept apart from Http/ProtobufBodies.cs on purpose: the
/// review kinds are never stored, and this decoder knows only them.
/// </summary>
internal static class AccessReviewProtobuf
{
    private enum Kind { String, Message, RepeatedString, MapStringExtra }

    private sealed record Field(string Name, Kind Kind, string? Message = null);

    private static readonly Dictionary<string, Dictionary<int, Field>> Messages = new()
    {
        ["ObjectMeta"] = new() { [1] = new("name", Kind.String), [2] = new("generateName", Kind.String), [3] = new("namespace", Kind.String) },
        ["SelfSubjectAccessReview"] = Review("SelfSubjectAccessReviewSpec"),
        ["SubjectAccessReview"] = Review("SubjectAccessReviewSpec"),
        ["LocalSubjectAccessReview"] = Review("SubjectAccessReviewSpec"),
        ["SelfSubjectRulesReview"] = Review("SelfSubjectRulesReviewSpec"),
        ["SelfSubjectReview"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta") },
        ["SelfSubjectAccessReviewSpec"] = new()
        {
            [1] = new("resourceAttributes", Kind.Message, "ResourceAttributes"), [2] = new("nonResourceAttributes", Kind.Message, "NonResourceAttributes"),
        },
        ["SubjectAccessReviewSpec"] = new()
        {
            [1] = new("resourceAttributes", Kind.Message, "ResourceAttributes"), [2] = new("nonResourceAttributes", Kind.Message, "NonResourceAttributes"),
            [3] = new("user", Kind.String), [4] = new("groups", Kind.RepeatedString), [5] = new("extra", Kind.MapStringExtra), [6] = new("uid", Kind.String),
        },
        ["SelfSubjectRulesReviewSpec"] = new() { [1] = new("namespace", Kind.String) },
        ["ResourceAttributes"] = new()
        {
            [1] = new("namespace", Kind.String), [2] = new("verb", Kind.String), [3] = new("group", Kind.String), [4] = new("version", Kind.String),
            [5] = new("resource", Kind.String), [6] = new("subresource", Kind.String), [7] = new("name", Kind.String),
        },
        ["NonResourceAttributes"] = new() { [1] = new("path", Kind.String), [2] = new("verb", Kind.String) },
    };

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(byte[] body)
    {
        if (!body.AsSpan().StartsWith(Magic))
        {
            throw ApiException.BadRequest("a protobuf body must start with the k8s\\0 envelope prefix");
        }
        var envelope = new Reader(body[Magic.Length..]);
        string apiVersion = "", kind = "";
        byte[] raw = [];
        while (envelope.TryReadTag(out var number, out var wireType))
        {
            if (number == 1)
            {
                var typeMeta = new Reader(envelope.ReadBytes());
                while (typeMeta.TryReadTag(out var n, out var w))
                {
                    if (n == 1) { apiVersion = typeMeta.ReadString(); }
                    else if (n == 2) { kind = typeMeta.ReadString(); }
                    else { typeMeta.Skip(w); }
                }
            }
            else if (number == 2)
            {
                raw = envelope.ReadBytes();
            }
            else
            {
                envelope.Skip(wireType);
            }
        }
        if (!kind.EndsWith("Review", StringComparison.Ordinal) || !Messages.ContainsKey(kind))
        {
            throw ApiException.BadRequest($"the protobuf body holds a {kind}, not an access review");
        }
        var obj = ReadMessage(new Reader(raw), kind);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static Dictionary<int, Field> Review(string spec) => new()
    {
        [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, spec),
    };

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
                case Kind.Message:
                    obj[field.Name] = ReadMessage(new Reader(reader.ReadBytes()), field.Message!);
                    break;
                case Kind.RepeatedString:
                    (obj[field.Name] as JsonArray ?? (JsonArray)(obj[field.Name] = new JsonArray())).Add(reader.ReadString());
                    break;
                case Kind.MapStringExtra:
                    var (key, values) = ReadExtra(new Reader(reader.ReadBytes()));
                    (obj[field.Name] as JsonObject ?? (JsonObject)(obj[field.Name] = new JsonObject()))[key] = values;
                    break;
            }
        }
        return obj;
    }

    /// <summary>One <c>map&lt;string, ExtraValue&gt;</c> entry: key 1, value 2 (an ExtraValue whose field 1 repeats the strings).</summary>
    private static (string Key, JsonArray Values) ReadExtra(Reader entry)
    {
        var key = "";
        var values = new JsonArray();
        while (entry.TryReadTag(out var n, out var w))
        {
            if (n == 1)
            {
                key = entry.ReadString();
            }
            else if (n == 2)
            {
                var extra = new Reader(entry.ReadBytes());
                while (extra.TryReadTag(out var en, out var ew))
                {
                    if (en == 1) { values.Add(extra.ReadString()); }
                    else { extra.Skip(ew); }
                }
            }
            else
            {
                entry.Skip(w);
            }
        }
        return (key, values);
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
            var length = ReadVarint();
            if (length > (ulong)(data.Length - _position))
            {
                throw ApiException.BadRequest("truncated protobuf body");
            }
            var bytes = data.AsSpan(_position, (int)length).ToArray();
            _position += (int)length;
            return bytes;
        }

        public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: ReadVarint(); break;
                case 1 or 5:
                    var width = wireType == 1 ? 8 : 4;
                    if (_position + width > data.Length)
                    {
                        throw ApiException.BadRequest("truncated protobuf body");
                    }
                    _position += width;
                    break;
                case 2: ReadBytes(); break;
                default: throw ApiException.BadRequest($"unsupported protobuf wire type {wireType}");
            }
        }
    }
}
