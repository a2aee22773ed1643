using k8s.Exceptions;
using Sigil.Cli.Day2;

namespace Sigil.Tests.Cli.Day2;

/// <summary>Which kubeconfig the day-2 commands read: kubectl's order (pure but for which files exist).</summary>
public sealed class KubeAccessTests
{
    private const string Home = "/home/u/.kube/config";

    public static TheoryData<string, string?, string?, string[], string[]> Choices => new()
    {
        { "--kubeconfig wins over KUBECONFIG and the home file", "/flag", "/env", ["/flag", "/env", Home], ["/flag"] },
        { "KUBECONFIG wins over the home file", null, "/env", ["/env", Home], ["/env"] },
        { "KUBECONFIG's files that exist are kept, in order", null, "/missing:/a:/b", ["/a", "/b", Home], ["/a", "/b"] },
        { "a KUBECONFIG naming no file that exists does not fall back to the home file", null, "/missing", [Home], [] },
        { "with neither, the home file", null, null, [Home], [Home] },
        { "with nothing at all, nothing (the pod's service account is tried next)", null, null, [], [] },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void The_kubeconfig_is_chosen_as_kubectl_chooses_it(string because, string? flag, string? variable, string[] existing, string[] expected) =>
        Assert.True(expected.SequenceEqual(KubeAccess.KubeconfigFiles(flag, variable, Home, existing.Contains)),
            $"{because}: got {string.Join(",", KubeAccess.KubeconfigFiles(flag, variable, Home, existing.Contains))}");

    [Fact]
    public void A_kubeconfig_named_with_the_flag_that_does_not_exist_is_an_error_naming_it_not_a_fallback_to_another_cluster()
    {
        var e = Assert.Throws<KubeConfigException>(() => KubeAccess.KubeconfigFiles("/nope", "/env", Home, f => f != "/nope"));

        Assert.Contains("/nope", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_kubeconfig_is_one_line_on_stderr_and_exit_code_1()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-kubeconfig-{Guid.NewGuid():N}");

        var result = await Day2Cli.RunAsync(missing, "status");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the first file's current-context is the one used", null, "https://first.example:6443", "shop")]
    [InlineData("--context finds a context defined only in the second file", "second", "https://second.example:6443", "bank")]
    public void KUBECONFIGs_files_are_merged_as_kubectl_merges_them(string because, string? context, string server, string ns)
    {
        var folder = Directory.CreateTempSubdirectory("sigil-kubeconfig-").FullName;
        try
        {
            static string Config(string name, string server, string ns, bool current) => string.Join('\n',
                "apiVersion: v1",
                "kind: Config",
                current ? $"current-context: {name}" : "",
                $"clusters: [{{name: {name}, cluster: {{server: \"{server}\"}}}}]",
                $"users: [{{name: {name}, user: {{token: t}}}}]",
                $"contexts: [{{name: {name}, context: {{cluster: {name}, user: {name}, namespace: {ns}}}}}]");
            var first = Path.Combine(folder, "first");
            var second = Path.Combine(folder, "second");
            File.WriteAllText(first, Config("first", "https://first.example:6443", "shop", current: true));
            File.WriteAllText(second, Config("second", "https://second.example:6443", "bank", current: false));

            using var connection = KubeAccess.Connect(null, context, $"{first}{Path.PathSeparator}{second}", Home);

            Assert.True(((k8s.Kubernetes)connection.Client).BaseUri.ToString().TrimEnd('/') == server, because);
            Assert.Equal(ns, connection.ContextNamespace);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
