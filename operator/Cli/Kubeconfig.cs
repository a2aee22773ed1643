using k8s;

namespace Sigil.Cli;

/// <summary>
/// The kubeconfig as kubectl finds it: <c>--kubeconfig</c>, else <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>. A list in
/// <c>$KUBECONFIG</c> is merged, except with <c>--context</c>, which is looked up in its first existing file.
/// </summary>
internal static class Kubeconfig
{
    public static KubernetesClientConfiguration Load(string? path, string? context, Func<string, string?> environment)
    {
        if (path is not null)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, currentContext: context);
        }
        var files = (environment("KUBECONFIG") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => new FileInfo(p)).Where(f => f.Exists).ToArray();
        if (files.Length > 1 && context is null)
        {
            // KubernetesClient merges a list in KUBECONFIG as kubectl does only here (its merge is not public).
            return KubernetesClientConfiguration.BuildDefaultConfig();
        }
        if (files.Length > 0)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(files[0], currentContext: context);
        }
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (File.Exists(home))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(home, currentContext: context);
        }
        throw new InvalidOperationException("no kubeconfig: give --kubeconfig PATH or set KUBECONFIG (~/.kube/config does not exist)");
    }
}
