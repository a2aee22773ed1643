using System.CommandLine;
using k8s;
using k8s.Exceptions;

namespace Sigil.Cli.Day2;

/// <summary>A connection as kubectl would make it: the client and the namespace the context names (or "default").</summary>
internal sealed record KubeConnection(IKubernetes Client, string ContextNamespace) : IDisposable
{
    public void Dispose() => Client.Dispose();
}

/// <summary>
/// The kubeconfig flags every day-2 command shares, read as kubectl reads them: <c>--kubeconfig</c>, else the first file of
/// <c>KUBECONFIG</c> that exists, else <c>~/.kube/config</c>, else the pod's service account; <c>--context</c>
/// picks a context; <c>-n</c> overrides the context's namespace. Not tied to a command, so <c>sigil mount</c> can share it.
/// </summary>
internal sealed class KubeAccess
{
    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)." };
    public Option<string?> Context { get; } = new("--context") { Description = "The kubeconfig context to use (default: its current-context)." };
    public Option<string?> Namespace { get; } = new("--namespace", "-n") { Description = "Namespace (default: the context's, else \"default\")." };

    public void AddTo(Command command)
    {
        command.Options.Add(Kubeconfig);
        command.Options.Add(Context);
        command.Options.Add(Namespace);
    }

    /// <summary>The namespace a namespaced command works in: -n, else the context's.</summary>
    public string NamespaceOf(ParseResult result, KubeConnection connection) => result.GetValue(Namespace) is { Length: > 0 } ns ? ns : connection.ContextNamespace;

    public KubeConnection Connect(ParseResult result) =>
        Connect(result.GetValue(Kubeconfig), result.GetValue(Context), Environment.GetEnvironmentVariable("KUBECONFIG"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"));

    public static KubeConnection Connect(string? kubeconfig, string? context, string? kubeconfigVariable, string homeConfig)
    {
        var files = KubeconfigFiles(kubeconfig, kubeconfigVariable, homeConfig, File.Exists);
        KubernetesClientConfiguration config;
        if (files.Count > 0)
        {
            // KubernetesClient 21 does not expose merging several files, so the first one holds the whole config.
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(files[0], context);
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            throw new KubeConfigException(kubeconfig is null ? "no kubeconfig found" : $"kubeconfig {kubeconfig} does not exist");
        }
        return new KubeConnection(new Kubernetes(config), config.Namespace is { Length: > 0 } ns ? ns : "default");
    }

    /// <summary>Which files make up the kubeconfig (pure but for <paramref name="exists"/>): as kubectl chooses them.</summary>
    public static IReadOnlyList<string> KubeconfigFiles(string? kubeconfig, string? kubeconfigVariable, string homeConfig, Func<string, bool> exists)
    {
        if (kubeconfig is { Length: > 0 })
        {
            // Named explicitly: a missing file is an error, not a reason to fall back to another cluster.
            return exists(kubeconfig) ? [kubeconfig] : throw new KubeConfigException($"kubeconfig {kubeconfig} does not exist");
        }
        if (kubeconfigVariable is { Length: > 0 })
        {
            return [.. kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Where(exists).Distinct(StringComparer.Ordinal)];
        }
        return exists(homeConfig) ? [homeConfig] : [];
    }
}
