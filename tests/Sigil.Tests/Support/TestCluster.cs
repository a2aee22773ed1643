using k8s;
using k8s.Models;
using Sigil.LocalControlPlane;
using Testcontainers.K3s;

namespace Sigil.Tests.Support;

/// <summary>Where a cluster-level test runs. Every such test is a theory over all three.</summary>
public enum ClusterKind
{
    /// <summary>The in-process local control plane (always available).</summary>
    Local,
    /// <summary>The cluster KUBECONFIG points at, when SIGIL_TEST_REAL_CLUSTER=1.</summary>
    RealCluster,
    /// <summary>k3s in Docker through Testcontainers, when SIGIL_TEST_K3S=1 and a Docker daemon answers.</summary>
    K3s,
}

/// <summary>
/// One cluster for one test: the same test code drives the local control plane, a configured real
/// cluster, or k3s. Tests work in namespaces they create (cleaned up at dispose), so they can share a
/// real cluster. Emulator-only tools (request counters, fault injection) come through <see cref="Local"/>.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private static readonly SemaphoreSlim K3sGate = new(1, 1);
    private static K3sContainer? _k3s;
    private static string? _k3sKubeconfig;

    private readonly List<string> _namespaces = [];
    private readonly List<string> _clusterScoped = [];

    private TestCluster(ClusterKind kind, string kubeconfigPath, IKubernetes client, LocalCluster? local)
    {
        Kind = kind;
        KubeconfigPath = kubeconfigPath;
        Client = client;
        Local = local;
        Api = new RawApi(kubeconfigPath);
    }

    public RawApi Api { get; }

    public ClusterKind Kind { get; }
    public string KubeconfigPath { get; }
    public IKubernetes Client { get; }
    public LocalCluster? Local { get; }

    public static TheoryData<ClusterKind> Kinds => [ClusterKind.Local, ClusterKind.RealCluster, ClusterKind.K3s];

    /// <summary>Why a kind of cluster cannot be used here, or null when it can. Pure, so the skip path is tested.</summary>
    public static string? SkipReason(ClusterKind kind, Func<string, string?> environment, Func<bool> dockerAnswers) => kind switch
    {
        ClusterKind.Local => null,
        ClusterKind.RealCluster when environment("SIGIL_TEST_REAL_CLUSTER") != "1" =>
            "real-cluster mode is off: set SIGIL_TEST_REAL_CLUSTER=1 and KUBECONFIG to run this test against a real cluster",
        ClusterKind.RealCluster when string.IsNullOrEmpty(environment("KUBECONFIG")) =>
            "SIGIL_TEST_REAL_CLUSTER=1 but KUBECONFIG is not set: point it at the cluster to test against",
        ClusterKind.RealCluster => null,
        ClusterKind.K3s when environment("SIGIL_TEST_K3S") != "1" =>
            "k3s mode is off: set SIGIL_TEST_K3S=1 on a machine with a Docker daemon to run this test against k3s",
        ClusterKind.K3s when !dockerAnswers() =>
            "SIGIL_TEST_K3S=1 but no Docker daemon answers (`docker info` fails), so k3s cannot start here",
        _ => null,
    };

    public static async Task<TestCluster> StartAsync(ClusterKind kind, LocalClusterOptions? options = null)
    {
        if (SkipReason(kind, Environment.GetEnvironmentVariable, DockerAnswers) is { } reason)
        {
            Assert.Skip(reason);
        }
        switch (kind)
        {
            case ClusterKind.Local:
                var local = await LocalCluster.StartAsync(options);
                return new TestCluster(kind, local.KubeconfigPath, local.Client, local);
            case ClusterKind.RealCluster:
                var path = Environment.GetEnvironmentVariable("KUBECONFIG")!.Split(Path.PathSeparator)[0];
                return new TestCluster(kind, path, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)), null);
            default:
                var kubeconfig = await StartK3sAsync();
                return new TestCluster(kind, kubeconfig, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)), null);
        }
    }

    /// <summary>The local control plane, or a skip for tests that need its counters or fault injector.</summary>
    public LocalCluster RequireLocal() => Local ?? throw SkipException("this test inspects the local control plane's request log or injects faults");

    /// <summary>Creates a uniquely named namespace that is deleted when the test ends.</summary>
    public async Task<string> CreateNamespaceAsync(string prefix = "t")
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        _namespaces.Add(name);
        return name;
    }

    /// <summary>Remembers a namespace made elsewhere (the operator's) to delete at the end, for real clusters.</summary>
    public void DeleteNamespaceAtEnd(string ns) => _namespaces.Add(ns);

    /// <summary>Remembers a cluster-scoped object (a CRD) to delete at the end, for real clusters.</summary>
    public void DeleteAtEnd(string crdName) => _clusterScoped.Add(crdName);

    public async ValueTask DisposeAsync()
    {
        if (Local is not null)
        {
            await Local.DisposeAsync();
            return;
        }
        foreach (var ns in _namespaces)
        {
            await Ignore(() => Client.CoreV1.DeleteNamespaceAsync(ns));
        }
        foreach (var crd in _clusterScoped)
        {
            await Ignore(() => Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync(crd));
        }
        Client.Dispose();
    }

    private static async Task Ignore(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (k8s.Autorest.HttpOperationException)
        {
        }
    }

    private static InvalidOperationException SkipException(string why)
    {
        Assert.Skip(why);
        return new InvalidOperationException(why);
    }

    private static bool DockerAnswers()
    {
        try
        {
            var result = ProcessRunner.RunAsync("docker", ["info"], timeout: TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
            return result.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<string> StartK3sAsync()
    {
        await K3sGate.WaitAsync();
        try
        {
            if (_k3sKubeconfig is null)
            {
                _k3s = new K3sBuilder("rancher/k3s:v1.32.2-k3s1").Build();
                await _k3s.StartAsync();
                _k3sKubeconfig = Path.Combine(Directory.CreateTempSubdirectory("sigil-k3s-").FullName, "kubeconfig");
                await File.WriteAllTextAsync(_k3sKubeconfig, await _k3s.GetKubeconfigAsync());
            }
            return _k3sKubeconfig;
        }
        finally
        {
            K3sGate.Release();
        }
    }
}
