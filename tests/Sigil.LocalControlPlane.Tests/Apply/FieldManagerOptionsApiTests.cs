using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Apply;

/// <summary>
/// kube-apiserver checks the fieldManager parameter of every write, not only of patches (ValidateCreateOptions and
/// ValidateUpdateOptions call the same ValidateFieldManager): a name it would refuse must not end up in managedFields.
/// </summary>
public sealed class FieldManagerOptionsApiTests
{
    private static readonly Dictionary<string, (string Verb, string FieldManager, HttpStatusCode Expected, string? Message)> Table = new()
    {
        ["a create names a manager of 200 characters and is refused"] =
            ("create", new string('m', 200), HttpStatusCode.UnprocessableEntity, "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"),
        ["an update names a manager of 200 characters and is refused"] =
            ("update", new string('m', 200), HttpStatusCode.UnprocessableEntity, "UpdateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"),
        ["a create names a manager of 129 characters, one too many, and is refused"] =
            ("create", new string('m', 129), HttpStatusCode.UnprocessableEntity, "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"),
        ["a create names a manager with a control character and is refused"] =
            ("create", "evil\u0001", HttpStatusCode.UnprocessableEntity, null),
        ["an update names a manager with a control character and is refused"] =
            ("update", "evil\u0001", HttpStatusCode.UnprocessableEntity, null),

        ["a create names a manager of exactly 128 characters"] = ("create", new string('m', 128), HttpStatusCode.Created, null),
        ["an update names a manager of exactly 128 characters"] = ("update", new string('m', 128), HttpStatusCode.OK, null),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Creates_and_updates_check_their_fieldManager_as_patches_do(string because)
    {
        var (verb, fieldManager, expected, message) = Table[because];
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        if (verb == "update")
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, ns);
        }
        var body = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "c" }, ["data"] = new JsonObject { ["written"] = "yes" },
        };
        var query = $"?fieldManager={Uri.EscapeDataString(fieldManager)}";

        var (status, answer) = verb == "create"
            ? await cluster.Api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps{query}", body)
            : await cluster.Api.SendAsync(HttpMethod.Put, $"/api/v1/namespaces/{ns}/configmaps/c{query}", body);

        Assert.True(expected == status, $"{status}: {answer.ToJsonString()}");
        var stored = (await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=c")).Items.SingleOrDefault();
        if (expected == HttpStatusCode.UnprocessableEntity)
        {
            Assert.Equal("Invalid", answer["reason"]?.ToString());
            Assert.Contains("fieldManager", answer["message"]?.ToString(), StringComparison.Ordinal);
            if (message is not null)
            {
                Assert.Equal(message, answer["message"]?.ToString());
            }
            Assert.True(stored?.Data is null || !stored.Data.ContainsKey("written"), "the refused write was stored");
        }
        else
        {
            Assert.Equal("yes", stored?.Data?["written"]);
        }
    }
}
