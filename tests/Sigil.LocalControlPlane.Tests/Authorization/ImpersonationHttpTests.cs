using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>
/// Impersonate-* headers over HTTP, sent with a ServiceAccount's own token (not the admin's, which may do anything).
/// curl sends them because it keeps repeated header lines apart, as an attacker's client would; .NET's HttpClient
/// folds them into one. Who the request then acts as is read back from a SelfSubjectReview.
/// </summary>
public sealed class ImpersonationHttpTests
{
    private static readonly Dictionary<string, (bool Granted, (string Name, string Value)[] Headers, HttpStatusCode Expected, string? ActsAs)> Table = new()
    {
        ["impersonating a user without RBAC is forbidden"] =
            (false, [("Impersonate-User", "alice")], HttpStatusCode.Forbidden, null),
        ["a grant to impersonate alice does not reach bob"] =
            (true, [("Impersonate-User", "bob")], HttpStatusCode.Forbidden, null),
        ["a grant to impersonate alice does not let alice be put in system:masters"] =
            (true, [("Impersonate-User", "alice"), ("Impersonate-Group", "system:masters")], HttpStatusCode.Forbidden, null),
        ["a permitted group does not carry an unpermitted one in with it"] =
            (true, [("Impersonate-User", "alice"), ("Impersonate-Group", "team"), ("Impersonate-Group", "system:masters")], HttpStatusCode.Forbidden, null),
        ["a forbidden user first and a permitted one second is checked, and refused, as the first"] =
            (true, [("Impersonate-User", "bob"), ("Impersonate-User", "alice")], HttpStatusCode.Forbidden, null),

        ["a permitted user first and another second acts as the first, the one checked"] =
            (true, [("Impersonate-User", "alice"), ("Impersonate-User", "bob")], HttpStatusCode.Created, "alice"),
        ["a grant to impersonate alice lets it act as alice"] =
            (true, [("Impersonate-User", "alice")], HttpStatusCode.Created, "alice"),
        ["a grant on alice and the team group lets it act as alice in team"] =
            (true, [("Impersonate-User", "alice"), ("Impersonate-Group", "team")], HttpStatusCode.Created, "alice"),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_ServiceAccount_impersonates_only_whom_its_RBAC_names_and_only_as_checked(string because)
    {
        var (granted, headers, expected, actsAs) = Table[because];
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var account = $"system:serviceaccount:{ns}:intruder";
        var (_, kubeconfig) = await cluster.RequireLocal().AddUserAsync(account);
        if (granted)
        {
            await GrantImpersonationAsync(cluster.Client, ns, "intruder");
        }

        var (status, body) = await WhoAmIAsync(kubeconfig, headers);

        Assert.True(expected == status, $"{status}: {body.ToJsonString()}");
        if (actsAs is null)
        {
            Assert.StartsWith($"User \"{account}\" cannot impersonate", body["message"]?.ToString()?.Split(": ", 2)[^1] ?? "", StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(actsAs, body["status"]?["userInfo"]?["username"]?.ToString());
        }
    }

    private static async Task GrantImpersonationAsync(IKubernetes admin, string ns, string account)
    {
        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = $"impersonate-alice-{ns}" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = [""], Resources = ["users"], Verbs = ["impersonate"], ResourceNames = ["alice"] },
                new V1PolicyRule { ApiGroups = [""], Resources = ["groups"], Verbs = ["impersonate"], ResourceNames = ["team"] },
            ],
        });
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = $"impersonate-alice-{ns}" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = $"impersonate-alice-{ns}" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = account, NamespaceProperty = ns }],
        });
    }

    /// <summary>POSTs a SelfSubjectReview with the kubeconfig's token and each header on a line of its own.</summary>
    private static async Task<(HttpStatusCode Status, JsonObject Body)> WhoAmIAsync(string kubeconfig, (string Name, string Value)[] headers)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        var folder = Directory.CreateTempSubdirectory("sigil-impersonation-");
        try
        {
            var ca = Path.Combine(folder.FullName, "ca.pem");
            await File.WriteAllTextAsync(ca, config.SslCaCerts[0].ExportCertificatePem());
            // The token goes in a file, not on a command line other processes can read.
            var headerFile = Path.Combine(folder.FullName, "headers");
            await File.WriteAllLinesAsync(headerFile,
                [$"Authorization: Bearer {config.AccessToken}", "Content-Type: application/json", .. headers.Select(h => $"{h.Name}: {h.Value}")]);
            var url = new Uri(new Uri(config.Host.TrimEnd('/') + "/"), "apis/authentication.k8s.io/v1/selfsubjectreviews");
            var result = await ProcessRunner.RunAsync("curl",
                ["-sS", "--cacert", ca, "-H", $"@{headerFile}", "-X", "POST", "--data", """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""",
                    "-w", "\n%{http_code}", url.ToString()]);
            Assert.True(result.ExitCode == 0, result.Output);
            var lines = result.Stdout.TrimEnd().Split('\n');
            return ((HttpStatusCode)int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture),
                JsonNode.Parse(string.Join('\n', lines[..^1])) as JsonObject ?? []);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
