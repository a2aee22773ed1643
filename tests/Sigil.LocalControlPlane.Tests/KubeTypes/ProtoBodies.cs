using Google.Protobuf;
using Google.Protobuf.Reflection;
using Sigil.LocalControlPlane.KubeTypes;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

/// <summary>
/// Builds protobuf bodies the way client-go does, with Google.Protobuf's writer and the field numbers from
/// Kubernetes' descriptors, so the tests never restate a field number by hand.
/// </summary>
internal static class ProtoBodies
{
    public static MessageDescriptor Type(string fullName) => KubeTypeDescriptors.Instance.Messages[fullName];

    /// <summary>One message: each (field, value) is written in order; a repeated field is named once per element.</summary>
    public static byte[] Message(string fullName, params (string Field, object Value)[] fields) => Message(Type(fullName), fields);

    public static byte[] Message(MessageDescriptor type, params (string Field, object Value)[] fields)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var (name, value) in fields)
        {
            var field = type.FindFieldByName(name) ?? throw new ArgumentException($"{type.FullName} has no field {name}");
            switch (value)
            {
                case string text:
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    output.WriteString(text);
                    break;
                case byte[] bytes:
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(bytes));
                    break;
                case bool flag:
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                    output.WriteBool(flag);
                    break;
                case int number:
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                    output.WriteInt32(number);
                    break;
                case long number:
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.Varint);
                    output.WriteInt64(number);
                    break;
                default:
                    throw new ArgumentException($"cannot write a {value.GetType().Name}");
            }
        }
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>A map entry of <paramref name="field"/> in <paramref name="owner"/>.</summary>
    public static byte[] Entry(string owner, string field, string key, object value) =>
        Message(Type(owner).FindFieldByName(field).MessageType, ("key", key), ("value", value));

    public static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8.ToArray(), .. Message("k8s.io.apimachinery.pkg.runtime.Unknown",
            ("typeMeta", Message("k8s.io.apimachinery.pkg.runtime.TypeMeta", ("apiVersion", apiVersion), ("kind", kind))),
            ("raw", raw), ("contentEncoding", ""), ("contentType", ""))];
}
