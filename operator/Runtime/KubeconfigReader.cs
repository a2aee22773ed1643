using System.Runtime.CompilerServices;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace Sigil.Runtime;

/// <summary>
/// A kubeconfig file read without KubernetesClient's KubernetesYaml, whose static constructor orders properties by
/// <c>MetadataToken</c>, which NativeAOT does not have (InvalidOperationException). Reads the YAML as a node tree (no
/// reflection) and maps the fields a token, client-certificate, exec-plugin (EKS, GKE, AKS, OIDC login) or CA-data
/// kubeconfig uses; a user with the retired auth-provider plugins, impersonation or a token file is refused by name
/// when a context selects it (<see cref="Build"/>), as kubectl reads only the user it uses. The JIT build keeps the
/// library's reader (<see cref="LoadModel"/> picks).
/// </summary>
internal static class KubeconfigReader
{
    // Users read without credentials because this reader cannot map them, with why; refused only if a context selects one.
    private static readonly ConditionalWeakTable<User, string> UnreadableUsers = [];

    /// <summary>The client configuration for <paramref name="context"/> (default: current-context), refusing by name a
    /// user that <see cref="Read"/> could not map rather than connecting without its credentials (401s later).</summary>
    public static KubernetesClientConfiguration Build(K8SConfiguration config, string? context)
    {
        // Names are matched as KubernetesClient matches them when it builds the configuration: the first, ignoring case.
        var contextName = context is { Length: > 0 } ? context : config.CurrentContext;
        var userName = config.Contexts?.FirstOrDefault(c => string.Equals(c.Name, contextName, StringComparison.OrdinalIgnoreCase))?.ContextDetails?.User;
        if (userName is { Length: > 0 }
            && config.Users?.FirstOrDefault(u => string.Equals(u.Name, userName, StringComparison.OrdinalIgnoreCase)) is { } user
            && UnreadableUsers.TryGetValue(user, out var why))
        {
            throw new KubeConfigException(why);
        }
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(config, context);
    }

    /// <summary>One kubeconfig file as a model (the CLI merges KUBECONFIG's files from these): the library's reader under the JIT.</summary>
    public static K8SConfiguration LoadModel(string path) => RuntimeFeature.IsDynamicCodeSupported
        ? KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path))
        : Read(path);

    public static K8SConfiguration Read(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return new K8SConfiguration
        {
            FileName = Path.GetFullPath(path),
            ApiVersion = Scalar(root, "apiVersion"),
            Kind = Scalar(root, "kind"),
            CurrentContext = Scalar(root, "current-context"),
            Clusters = [.. Named(root, "clusters", "cluster", (name, c) => new Cluster
            {
                Name = name,
                ClusterEndpoint = new ClusterEndpoint
                {
                    Server = Scalar(c, "server"),
                    CertificateAuthority = Scalar(c, "certificate-authority"),
                    CertificateAuthorityData = Scalar(c, "certificate-authority-data"),
                    TlsServerName = Scalar(c, "tls-server-name"),
                    SkipTlsVerify = Scalar(c, "insecure-skip-tls-verify") is "true",
                },
            })],
            Users = [.. Named(root, "users", "user", MapUser)],
            Contexts = [.. Named(root, "contexts", "context", (name, x) => new Context
            {
                Name = name,
                ContextDetails = new ContextDetails { Cluster = Scalar(x, "cluster"), User = Scalar(x, "user"), Namespace = Scalar(x, "namespace") },
            })],
        };
    }

    private static User MapUser(string? name, YamlMappingNode u)
    {
        if (u.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value is "auth-provider" or "as" or "as-groups" or "tokenFile") is { } unsupported)
        {
            return Refused(name, $"kubeconfig user \"{name}\" uses \"{unsupported.Value}\", which the NativeAOT build of sigil does not read; use a token, a client certificate or an exec plugin");
        }
        var exec = Mapping(u, "exec");
        var env = exec is null ? [] : Sequence(exec, "env").OfType<YamlMappingNode>().Select(e => (Name: Scalar(e, "name"), Value: Scalar(e, "value"))).ToList();
        if (env.Any(e => e.Name is not { Length: > 0 } || e.Value is null))
        {
            return Refused(name, $"kubeconfig user \"{name}\": an exec env entry needs a name and a value");
        }
        return new User
        {
            Name = name,
            UserCredentials = new UserCredentials
            {
                Token = Scalar(u, "token"),
                ClientCertificate = Scalar(u, "client-certificate"),
                ClientCertificateData = Scalar(u, "client-certificate-data"),
                ClientKey = Scalar(u, "client-key"),
                ClientKeyData = Scalar(u, "client-key-data"),
                UserName = Scalar(u, "username"),
                Password = Scalar(u, "password"),
                ExternalExecution = exec is null ? null : new ExternalExecution
                {
                    ApiVersion = Scalar(exec, "apiVersion"),
                    Command = Scalar(exec, "command"),
                    Arguments = Sequence(exec, "args").OfType<YamlScalarNode>().Select(a => a.Value ?? "").ToList(),
                    EnvironmentVariables = env.Select(e => new Dictionary<string, string> { ["name"] = e.Name!, ["value"] = e.Value! }).ToList(),
                },
            },
        };
    }

    private static User Refused(string? name, string why)
    {
        var user = new User { Name = name, UserCredentials = new UserCredentials() };
        UnreadableUsers.Add(user, why);
        return user;
    }

    private static IEnumerable<T> Named<T>(YamlMappingNode root, string list, string inner, Func<string?, YamlMappingNode, T> map) =>
        root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode items
            ? items.OfType<YamlMappingNode>().Select(item => map(Scalar(item, "name"),
                item.Children.TryGetValue(new YamlScalarNode(inner), out var body) && body is YamlMappingNode mapping ? mapping : new YamlMappingNode()))
            : [];

    private static YamlMappingNode? Mapping(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    private static YamlSequenceNode Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode items ? items : new YamlSequenceNode();

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
}
