using System.Net;
using k8s;
using Sigil.Tests.Support;
using static Sigil.LocalControlPlane.Tests.KubeTypes.ProtoBodies;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

/// <summary>Protobuf bodies over HTTP: what the server answers, as a client sees it.</summary>
public sealed class ProtobufRequestTests
{
    private const string Protobuf = "application/vnd.kubernetes.protobuf";

    private static byte[] ConfigMap(string name) => Envelope("v1", "ConfigMap", Message("k8s.io.api.core.v1.ConfigMap",
        ("metadata", Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", ("name", name))),
        ("data", Entry("k8s.io.api.core.v1.ConfigMap", "data", "greeting", "hello"))));

    [Fact]
    public async Task A_protobuf_object_is_created_and_reads_back_as_JSON()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();

        var (status, body) = await cluster.Api.SendBytesAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", ConfigMap("greetings"), Protobuf);
        var read = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("greetings", ns);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("greetings", (string?)body["metadata"]!["name"]);
        Assert.Equal("hello", read.Data["greeting"]);
    }

    [Fact]
    public async Task A_malformed_protobuf_body_is_a_400_Status_not_a_500()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var body = ConfigMap("broken");

        var (status, error) = await cluster.Api.SendBytesAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", body[..^6], Protobuf);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Status", (string?)error["kind"]);
        Assert.Equal("BadRequest", (string?)error["reason"]);
    }

    [Fact]
    public async Task A_protobuf_kind_without_a_definition_is_a_415_Status()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();

        var (status, error) = await cluster.Api.SendBytesAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps",
            Envelope("v1", "NoSuchKind", []), Protobuf);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("NoSuchKind", (string?)error["message"], StringComparison.Ordinal);
    }
}
