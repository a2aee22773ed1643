using System.Text;
using Sigil.LocalControlPlane.Http;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tests.Http;

public sealed class ProtobufBodiesTests
{
    // A minimal protobuf writer: enough to build what client-go sends.
    private static byte[] Field(int number, byte[] payload) => [.. Varint((ulong)(number << 3 | 2)), .. Varint((ulong)payload.Length), .. payload];
    private static byte[] Field(int number, string text) => Field(number, Encoding.UTF8.GetBytes(text));
    private static byte[] VarintField(int number, ulong value) => [.. Varint((ulong)(number << 3)), .. Varint(value)];
    private static byte[] Entry(int number, string key, byte[] value) => Field(number, [.. Field(1, key), .. Field(2, value)]);

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8.ToArray(), .. Field(1, [.. Field(1, apiVersion), .. Field(2, kind)]), .. Field(2, raw), .. Field(3, ""), .. Field(4, "")];

    [Fact]
    public void A_helm_release_secret_sent_as_protobuf_reads_as_the_same_JSON_object()
    {
        byte[] metadata = [.. Field(1, "sh.helm.release.v1.demo.v1"), .. Field(3, "apps"), .. Entry(11, "owner", "helm"u8.ToArray()),
            .. Field(13, [.. Field(1, "ConfigMap"), .. Field(3, "parent"), .. Field(4, "uid-1"), .. Field(5, "v1"), .. VarintField(6, 1)]),
            .. Field(14, "example.com/keep")];
        byte[] secret = [.. Field(1, metadata), .. Entry(2, "release", [0, 1, 2, 255]), .. Field(3, "helm.sh/release.v1"), .. VarintField(5, 1)];

        var obj = ProtobufBodies.Decode(Envelope("v1", "Secret", secret));

        Assert.Equal("Secret", (string?)obj["kind"]);
        Assert.Equal("sh.helm.release.v1.demo.v1", (string?)obj["metadata"]!["name"]);
        Assert.Equal("apps", (string?)obj["metadata"]!["namespace"]);
        Assert.Equal("helm", (string?)obj["metadata"]!["labels"]!["owner"]);
        Assert.Equal("uid-1", (string?)obj["metadata"]!["ownerReferences"]![0]!["uid"]);
        Assert.True((bool)obj["metadata"]!["ownerReferences"]![0]!["controller"]!);
        Assert.Equal("example.com/keep", (string?)obj["metadata"]!["finalizers"]![0]);
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 255]), (string?)obj["data"]!["release"]);
        Assert.Equal("helm.sh/release.v1", (string?)obj["type"]);
        Assert.True((bool)obj["immutable"]!);
    }

    [Fact]
    public void Delete_options_sent_as_protobuf_keep_their_propagation_policy()
    {
        var obj = ProtobufBodies.Decode(Envelope("v1", "DeleteOptions", [.. Field(4, "Orphan"), .. Field(2, Field(1, "uid-9"))]));

        Assert.Equal("Orphan", (string?)obj["propagationPolicy"]);
        Assert.Equal("uid-9", (string?)obj["preconditions"]!["uid"]);
    }

    [Fact]
    public void A_kind_it_has_no_definition_of_is_a_415_that_says_to_send_JSON()
    {
        var error = Assert.Throws<ApiException>(() => ProtobufBodies.Decode(Envelope("sigil.dev/v1alpha1", "ServiceIdentity", Field(1, Field(1, "d")))));

        Assert.Equal(415, error.Code);
        Assert.Contains("send application/json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_body_is_a_400_not_a_crash()
    {
        var body = Envelope("v1", "Secret", Field(1, Field(1, "name")));

        var error = Assert.Throws<ApiException>(() => ProtobufBodies.Decode(body.AsSpan(0, body.Length - 6)));

        Assert.Equal(400, error.Code);
    }
}
