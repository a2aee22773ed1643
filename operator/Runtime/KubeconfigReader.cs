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
/// kubeconfig uses; the retired auth-provider plugins, impersonation and token files are refused by name. The JIT build
/// keeps the library's reader (<see cref="LoadModel"/> picks).
/// </summary>
internal static class KubeconfigReader
{
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
            Users = [.. Named(root, "users", "user", (name, u) => Supported(name, u) ? new User
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
                    ExternalExecution = Mapping(u, "exec") is { } exec ? new ExternalExecution
                    {
                        ApiVersion = Scalar(exec, "apiVersion"),
                        Command = Scalar(exec, "command"),
                        Arguments = Sequence(exec, "args").OfType<YamlScalarNode>().Select(a => a.Value ?? "").ToList(),
                        EnvironmentVariables = Sequence(exec, "env").OfType<YamlMappingNode>()
                            .Select(e => Scalar(e, "name") is { Length: > 0 } variable && Scalar(e, "value") is { } value
                                ? new Dictionary<string, string> { ["name"] = variable, ["value"] = value }
                                : throw new KubeConfigException($"kubeconfig user \"{name}\": an exec env entry needs a name and a value")).ToList(),
                    } : null,
                },
            } : null!)],
            Contexts = [.. Named(root, "contexts", "context", (name, x) => new Context
            {
                Name = name,
                ContextDetails = new ContextDetails { Cluster = Scalar(x, "cluster"), User = Scalar(x, "user"), Namespace = Scalar(x, "namespace") },
            })],
        };
    }

    // A user this reader cannot map fails here, by name, rather than as a client without credentials (401s later).
    private static bool Supported(string? name, YamlMappingNode user) =>
        user.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value is "auth-provider" or "as" or "as-groups" or "tokenFile") is not { } unsupported
            ? true
            : throw new KubeConfigException($"kubeconfig user \"{name}\" uses \"{unsupported.Value}\", which the NativeAOT build of sigil does not read; use a token, a client certificate or an exec plugin");

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
