using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Sigil.Runtime;

namespace Sigil.Tests.Runtime;

/// <summary>
/// The NativeAOT build reads kubeconfig files with <see cref="KubeconfigReader"/> (KubernetesClient's own YAML reader
/// cannot run there). What it reads is checked against KubernetesClient's reader, on the same files.
/// </summary>
public sealed class KubeconfigReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sigil-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Base64Pem(X509Certificate2 certificate) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, $"config-{Guid.NewGuid():N}");
        File.WriteAllText(path, yaml);
        return path;
    }

    private string TwoClusters()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var client = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem()));
        var clientKey = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        return Write($"""
            apiVersion: v1
            kind: Config
            current-context: with-token
            clusters:
            - name: local
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: {Base64Pem(ca)}
                tls-server-name: kubernetes.default
            - name: other
              cluster:
                server: https://10.0.0.1:443
                insecure-skip-tls-verify: true
            users:
            - name: admin
              user:
                token: not-a-real-token
            - name: certified
              user:
                client-certificate-data: {client}
                client-key-data: {clientKey}
            contexts:
            - name: with-token
              context:
                cluster: local
                user: admin
                namespace: sigil-system
            - name: with-certificate
              context:
                cluster: other
                user: certified
            """);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("with-token")]
    [InlineData("with-certificate")]
    public void Reads_what_KubernetesClients_own_reader_reads(string? context)
    {
        var path = TwoClusters();

        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        var ours = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeconfigReader.Read(path), context);

        Assert.Equal(theirs.Host, ours.Host);
        Assert.Equal(theirs.Namespace, ours.Namespace);
        Assert.Equal(theirs.AccessToken, ours.AccessToken);
        Assert.Equal(theirs.SkipTlsVerify, ours.SkipTlsVerify);
        Assert.Equal(theirs.TlsServerName, ours.TlsServerName);
        Assert.Equal(theirs.ClientCertificateData, ours.ClientCertificateData);
        Assert.Equal(theirs.ClientCertificateKeyData, ours.ClientCertificateKeyData);
        Assert.Equal(theirs.CurrentContext, ours.CurrentContext);
        Assert.Equal(theirs.SslCaCerts?.Select(c => c.Thumbprint), ours.SslCaCerts?.Select(c => c.Thumbprint));
        Assert.NotNull(ours.Host);
    }

    [Fact]
    public void The_JIT_build_keeps_KubernetesClients_reader()
    {
        var path = TwoClusters();

        var loaded = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeconfigReader.LoadModel(path));

        Assert.Equal("https://127.0.0.1:6443/", loaded.Host.TrimEnd('/') + "/");
        Assert.Equal("not-a-real-token", loaded.AccessToken);
    }

    /// <summary>A kubeconfig with one cluster and one user, "cloud-user", whose fields are <paramref name="user"/>.</summary>
    private string CloudUser(params string[] user) => Write($"""
        apiVersion: v1
        kind: Config
        current-context: cloud
        clusters:
        - name: cloud
          cluster:
            server: https://10.0.0.1:443
        users:
        - name: cloud-user
          user:
        {string.Join('\n', user.Select(line => "    " + line))}
        contexts:
        - name: cloud
          context:
            cluster: cloud
            user: cloud-user
        """);

    [Fact]
    public void An_exec_plugin_user_reads_as_KubernetesClient_reads_it_command_arguments_and_environment()
    {
        var path = CloudUser(
            "exec:",
            "  apiVersion: client.authentication.k8s.io/v1",
            "  command: aws",
            "  args: [eks, get-token, --cluster-name, prod]",
            "  env:",
            "  - {name: AWS_PROFILE, value: platform}",
            "  interactiveMode: Never");

        var ours = Assert.Single(KubeconfigReader.Read(path).Users).UserCredentials.ExternalExecution;
        var library = Assert.Single(KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path)).Users).UserCredentials.ExternalExecution;

        Assert.Equal((library.ApiVersion, library.Command), (ours.ApiVersion, ours.Command));
        Assert.Equal(library.Arguments, ours.Arguments);
        Assert.Equal(library.EnvironmentVariables, ours.EnvironmentVariables);
        Assert.Equal(["eks", "get-token", "--cluster-name", "prod"], ours.Arguments);
    }

    [Fact]
    public void An_exec_env_entry_without_a_value_is_refused_as_KubernetesClient_refuses_it()
    {
        var path = CloudUser("exec:", "  apiVersion: client.authentication.k8s.io/v1", "  command: aws", "  env: [{name: AWS_PROFILE}]");

        var refused = Assert.Throws<k8s.Exceptions.KubeConfigException>(() => KubeconfigReader.Build(KubeconfigReader.Read(path), null));

        Assert.Contains("cloud-user", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth-provider: {name: oidc}", "auth-provider")]
    [InlineData("tokenFile: /var/run/token", "tokenFile")]
    [InlineData("as: someone-else", "as")]
    [InlineData("as-groups: [system:masters]", "as-groups")]
    public void A_user_this_reader_cannot_map_is_refused_by_name_not_read_as_one_without_credentials(string user, string field)
    {
        var path = CloudUser(user);

        var refused = Assert.Throws<k8s.Exceptions.KubeConfigException>(() => KubeconfigReader.Build(KubeconfigReader.Read(path), null));

        Assert.Contains("cloud-user", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{field}\"", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth-provider: {name: oidc}")]
    [InlineData("tokenFile: /var/run/token")]
    [InlineData("as: someone-else")]
    [InlineData("exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, env: [{name: AWS_PROFILE}]}")]
    public void A_user_this_reader_cannot_map_does_not_stop_a_context_that_uses_another_user(string unreadable)
    {
        // kubectl reads only the user its context selects; an old entry elsewhere in the file must not lock sigil out.
        var path = Write($$"""
            apiVersion: v1
            kind: Config
            current-context: cloud
            clusters:
            - name: cloud
              cluster:
                server: https://10.0.0.1:443
            users:
            - name: legacy
              user:
                {{unreadable}}
            - name: admin
              user:
                token: not-a-real-token
            contexts:
            - name: cloud
              context: {cluster: cloud, user: admin}
            - name: old
              context: {cluster: cloud, user: legacy}
            """);
        var config = KubeconfigReader.Read(path);

        Assert.Equal("not-a-real-token", KubeconfigReader.Build(config, null).AccessToken);
        var refused = Assert.Throws<k8s.Exceptions.KubeConfigException>(() => KubeconfigReader.Build(config, "old"));
        Assert.Contains("legacy", refused.Message, StringComparison.Ordinal);
    }
}
