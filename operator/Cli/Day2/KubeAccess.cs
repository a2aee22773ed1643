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
/// The kubeconfig flags every client command (the day-2 commands and <c>sigil mount</c>) shares, read as kubectl reads
/// them: <c>--kubeconfig</c>, else the files of <c>KUBECONFIG</c> that exist, merged, else <c>~/.kube/config</c>, else
/// the pod's service account; <c>--context</c> picks a context; <c>-n</c> overrides the context's namespace.
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
        Connect(result.GetValue(Kubeconfig), result.GetValue(Context), Environment.GetEnvironmentVariable("KUBECONFIG"), HomeConfig);

    private static string HomeConfig => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    public static KubeConnection Connect(string? kubeconfig, string? context, string? kubeconfigVariable, string homeConfig)
    {
        var config = Configuration(kubeconfig, context, kubeconfigVariable, homeConfig);
        return new KubeConnection(new Kubernetes(config), config.Namespace is { Length: > 0 } ns ? ns : "default");
    }

    /// <summary>The client configuration from <paramref name="kubeconfig"/>, KUBECONFIG and ~/.kube/config of this process,
    /// else in-cluster: what <c>sigil run</c> uses too. Never KubernetesClient's BuildDefaultConfig, whose kubeconfig reader
    /// cannot run in the NativeAOT binary.</summary>
    public static KubernetesClientConfiguration Configuration(string? kubeconfig) =>
        Configuration(kubeconfig, null, Environment.GetEnvironmentVariable("KUBECONFIG"), HomeConfig);

    private static KubernetesClientConfiguration Configuration(string? kubeconfig, string? context, string? kubeconfigVariable, string homeConfig)
    {
        var files = KubeconfigFiles(kubeconfig, kubeconfigVariable, homeConfig, File.Exists);
        if (files.Count > 0)
        {
            return Runtime.KubeconfigReader.Build(Merge(files), context);
        }
        if (KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }
        throw new KubeConfigException(kubeconfig is null ? "no kubeconfig found" : $"kubeconfig {kubeconfig} does not exist");
    }

    /// <summary>
    /// KUBECONFIG's files merged as kubectl merges them: the first file to name a context, cluster or user wins, and the first
    /// current-context set is the current one. (KubernetesClient merges a list only inside BuildDefaultConfig, which takes no
    /// context; each file is loaded on its own so relative paths resolve against it.)
    /// </summary>
    private static k8s.KubeConfigModels.K8SConfiguration Merge(IReadOnlyList<string> files)
    {
        var configs = files.Select(Runtime.KubeconfigReader.LoadModel).ToList();
        var merged = configs[0];
        foreach (var next in configs.Skip(1))
        {
            merged.CurrentContext = string.IsNullOrEmpty(merged.CurrentContext) ? next.CurrentContext : merged.CurrentContext;
            merged.Contexts = [.. merged.Contexts ?? [], .. (next.Contexts ?? []).Where(c => !(merged.Contexts ?? []).Any(m => m.Name == c.Name))];
            merged.Clusters = [.. merged.Clusters ?? [], .. (next.Clusters ?? []).Where(c => !(merged.Clusters ?? []).Any(m => m.Name == c.Name))];
            merged.Users = [.. merged.Users ?? [], .. (next.Users ?? []).Where(u => !(merged.Users ?? []).Any(m => m.Name == u.Name))];
        }
        return merged;
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
