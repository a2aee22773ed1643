using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.KubeTypes;

/// <summary>
/// Reads one Kubernetes object from protobuf wire format, walking its message descriptor, into the JSON that
/// kube-apiserver would produce for it. The few types with their own JSON form are mapped as apimachinery maps them:
/// meta/v1 Time and MicroTime are RFC 3339 strings, Duration a Go duration, resource.Quantity its string,
/// intstr.IntOrString an int or a string, runtime.RawExtension and meta/v1 FieldsV1 embedded JSON; bytes are base64.
/// </summary>
internal static class ProtobufObjectReader
{
    private const int MaxDepth = Json.MaxInputDepth;

    /// <summary>
    /// go-to-protobuf writes every non-pointer field, so zero values arrive on the wire; a zero that Go's JSON would
    /// leave out (omitempty on a non-pointer) is left out, one it keeps (<c>replicas: 0</c>) is kept
    /// (<see cref="KubeTypeDescriptors.KeepsZeroValue"/>).
    /// </summary>
    public static JsonObject Read(MessageDescriptor message, byte[] bytes, int depth = 0) => ReadMessage(message, bytes, depth);

    private static JsonObject ReadMessage(MessageDescriptor message, byte[] bytes, int depth)
    {
        if (depth > MaxDepth)
        {
            throw ApiException.BadRequest($"the protobuf body nests deeper than {MaxDepth} messages");
        }
        var obj = new JsonObject();
        var input = new CodedInputStream(bytes);
        try
        {
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                var field = message.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
                if (field is null)
                {
                    input.SkipLastField();
                    continue;
                }
                ReadField(obj, field, WireFormat.GetTagWireType(tag), input, depth);
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiException.BadRequest($"malformed protobuf body in {message.Name}: {e.Message}");
        }
        return obj;
    }

    private static void ReadField(JsonObject obj, FieldDescriptor field, WireFormat.WireType wireType, CodedInputStream input, int depth)
    {
        var name = KubeTypeDescriptors.JsonName(field);
        if (field.IsMap)
        {
            CheckWireType(field, wireType);
            var (key, entryValue) = ReadMapEntry(field.MessageType, input.ReadBytes().ToByteArray(), depth);
            var map = obj[name] as JsonObject ?? (JsonObject)(obj[name] = new JsonObject());
            map[key] = entryValue;
            return;
        }
        if (field.IsRepeated)
        {
            var array = obj[name] as JsonArray ?? (JsonArray)(obj[name] = new JsonArray());
            if (wireType == WireFormat.WireType.LengthDelimited && IsPackable(field.FieldType))
            {
                var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                while (!packed.IsAtEnd)
                {
                    array.Add(ReadValue(field, packed, depth));
                }
                return;
            }
            CheckWireType(field, wireType);
            array.Add(ReadValue(field, input, depth));
            return;
        }
        CheckWireType(field, wireType);
        if (KubeTypeDescriptors.IsInline(field))
        {
            var inlined = ReadMessage(field.MessageType, input.ReadBytes().ToByteArray(), depth + 1);
            foreach (var key in inlined.Select(p => p.Key).ToList())
            {
                var inner = inlined[key];
                inlined.Remove(key);
                obj[key] = inner;
            }
            return;
        }
        var value = ReadValue(field, input, depth);
        if (value is null || (IsZero(value) && !KubeTypeDescriptors.Instance.KeepsZeroValue(field)))
        {
            obj.Remove(name);
            return;
        }
        obj[name] = value;
    }

    private static void CheckWireType(FieldDescriptor field, WireFormat.WireType wireType)
    {
        var expected = field.FieldType switch
        {
            FieldType.String or FieldType.Bytes or FieldType.Message => WireFormat.WireType.LengthDelimited,
            FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => WireFormat.WireType.Fixed64,
            FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => WireFormat.WireType.Fixed32,
            _ => WireFormat.WireType.Varint,
        };
        if (wireType != expected)
        {
            throw ApiException.BadRequest($"malformed protobuf body: field {field.Name} of {field.ContainingType.Name} has wire type {wireType}, not {expected}");
        }
    }

    private static bool IsPackable(FieldType type) => type is not (FieldType.String or FieldType.Bytes or FieldType.Message or FieldType.Group);

    private static bool IsZero(JsonNode value) => value is JsonValue v && (
        (v.TryGetValue<string>(out var text) && text.Length == 0)
        || (v.TryGetValue<bool>(out var flag) && !flag)
        || (v.TryGetValue<long>(out var integer) && integer == 0)
        || (v.TryGetValue<int>(out var small) && small == 0)
        || (v.TryGetValue<ulong>(out var unsigned) && unsigned == 0)
        || (v.TryGetValue<uint>(out var unsignedSmall) && unsignedSmall == 0)
        || (v.TryGetValue<double>(out var real) && real == 0)
        || (v.TryGetValue<float>(out var single) && single == 0));

    private static JsonNode? ReadValue(FieldDescriptor field, CodedInputStream input, int depth) => field.FieldType switch
    {
        FieldType.String => input.ReadString(),
        FieldType.Bytes => Convert.ToBase64String(input.ReadBytes().Span),
        FieldType.Bool => input.ReadBool(),
        FieldType.Int32 => input.ReadInt32(),
        FieldType.Int64 => input.ReadInt64(),
        FieldType.UInt32 => input.ReadUInt32(),
        FieldType.UInt64 => input.ReadUInt64(),
        FieldType.SInt32 => input.ReadSInt32(),
        FieldType.SInt64 => input.ReadSInt64(),
        FieldType.Fixed32 => input.ReadFixed32(),
        FieldType.Fixed64 => input.ReadFixed64(),
        FieldType.SFixed32 => input.ReadSFixed32(),
        FieldType.SFixed64 => input.ReadSFixed64(),
        FieldType.Double => input.ReadDouble(),
        FieldType.Float => input.ReadFloat(),
        FieldType.Enum => input.ReadEnum(),
        FieldType.Message => ReadEmbedded(field.MessageType, input.ReadBytes().ToByteArray(), depth + 1),
        _ => throw ApiException.BadRequest($"unsupported protobuf field type {field.FieldType} in {field.ContainingType.Name}.{field.Name}"),
    };

    private static (string Key, JsonNode? Value) ReadMapEntry(MessageDescriptor entry, byte[] bytes, int depth)
    {
        var read = ReadMessage(entry, bytes, depth + 1);
        var key = read["key"] is JsonValue k ? k.ToString() : "";
        var valueField = entry.FindFieldByNumber(2);
        // An absent value is the zero value of its type: "" for the string maps that are nearly all of them.
        var value = read["value"]?.DeepClone() ?? (valueField.FieldType == FieldType.String ? "" : null);
        return (key, value);
    }

    /// <summary>Special types by their full names; everything else reads as a plain message.</summary>
    private static JsonNode? ReadEmbedded(MessageDescriptor message, byte[] bytes, int depth) => message.FullName switch
    {
        $"{KubeTypeDescriptors.MetaPackage}.Time" => Timestamp(ReadMessage(message, bytes, depth), micro: false),
        $"{KubeTypeDescriptors.MetaPackage}.MicroTime" => Timestamp(ReadMessage(message, bytes, depth), micro: true),
        $"{KubeTypeDescriptors.MetaPackage}.Duration" => GoDuration((long?)ReadMessage(message, bytes, depth)["duration"] ?? 0),
        $"{KubeTypeDescriptors.MetaPackage}.FieldsV1" => EmbeddedJson(ReadMessage(message, bytes, depth)["Raw"], depth),
        "k8s.io.apimachinery.pkg.runtime.RawExtension" => EmbeddedJson(ReadMessage(message, bytes, depth)["raw"], depth),
        "k8s.io.apimachinery.pkg.api.resource.Quantity" or "k8s.io.apimachinery.pkg.api.resource.QuantityValue" =>
            (string?)ReadMessage(message, bytes, depth)["string"] ?? "0",
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => IntOrString(ReadMessage(message, bytes, depth)),
        $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSON" => EmbeddedJson(ReadMessage(message, bytes, depth)["raw"], depth),
        $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrBool" => SchemaOrBool(ReadMessage(message, bytes, depth)),
        $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrArray" => SchemaOr(ReadMessage(message, bytes, depth), "jSONSchemas"),
        $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrStringArray" => SchemaOr(ReadMessage(message, bytes, depth), "property"),
        _ when KubeTypeDescriptors.IsSliceWrapper(message) => ReadMessage(message, bytes, depth)["items"]?.DeepClone() ?? new JsonArray(),
        _ => ReadMessage(message, bytes, depth),
    };

    // apimachinery writes a zero Time as an empty message and reads it back as the zero time, which JSON writes as null.
    private static JsonNode? Timestamp(JsonObject time, bool micro)
    {
        var seconds = (long?)time["seconds"] ?? 0;
        var nanos = (int?)time["nanos"] ?? 0;
        if (seconds == 0 && nanos == 0)
        {
            return null;
        }
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds);
        // metav1.Time keeps whole seconds (its Unmarshal drops nanos); MicroTime keeps microseconds.
        return micro
            ? t.AddTicks(nanos / 1000 * 10).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)
            : Json.Timestamp(t);
    }

    // apiextensions' MarshalJSON: the schema if there is one, else the bool.
    private static JsonNode? SchemaOrBool(JsonObject value) =>
        value["schema"] is JsonObject schema ? schema.DeepClone() : (JsonNode)((bool?)value["allows"] ?? false);

    // apiextensions' MarshalJSON: the array if it has elements, else the schema, else null.
    private static JsonNode? SchemaOr(JsonObject value, string arrayField) =>
        value[arrayField] is JsonArray { Count: > 0 } array ? array.DeepClone() : value["schema"]?.DeepClone();

    private static JsonNode IntOrString(JsonObject value) =>
        (long?)value["type"] == 1 ? (string?)value["strVal"] ?? "" : (JsonNode)((int?)value["intVal"] ?? 0);

    private static JsonNode? EmbeddedJson(JsonNode? base64, int depth)
    {
        if (base64 is null)
        {
            return null;
        }
        var raw = Convert.FromBase64String((string)base64!);
        if (raw.Length == 0)
        {
            return null;
        }
        if (raw.AsSpan().StartsWith("k8s\0"u8))
        {
            // An object embedded in protobuf rather than JSON: read it the same way as a whole body.
            return ProtobufEnvelope.Decode(raw, depth + 1);
        }
        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest("malformed protobuf body: an embedded object (RawExtension, FieldsV1 or JSON) is neither JSON nor a k8s protobuf object");
        }
    }

    /// <summary>time.Duration's String(): "1h2m3.5s", "150ms", "0s".</summary>
    internal static string GoDuration(long nanos)
    {
        if (nanos == 0)
        {
            return "0s";
        }
        var sign = nanos < 0 ? "-" : "";
        var n = nanos < 0 ? -(decimal)nanos : nanos;
        if (n < 1_000_000_000m)
        {
            var (unit, scale) = n < 1_000m ? ("ns", 1m) : n < 1_000_000m ? ("µs", 1_000m) : ("ms", 1_000_000m);
            return sign + (n / scale).ToString("0.#########", CultureInfo.InvariantCulture) + unit;
        }
        var builder = new StringBuilder(sign);
        var hours = decimal.Floor(n / 3_600_000_000_000m);
        var minutes = decimal.Floor(n % 3_600_000_000_000m / 60_000_000_000m);
        var seconds = n % 60_000_000_000m / 1_000_000_000m;
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }
        if (hours > 0 || minutes > 0)
        {
            builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }
        return builder.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s').ToString();
    }
}
