using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Sigil.Api;
using Sigil.LocalControlPlane;
using Sigil.Operator;
using Sigil.Runtime;

namespace Sigil.Tests.Support;

/// <summary>
/// The operator running in-process against a test cluster, as `sigil local` runs it: CRDs installed,
/// its namespace created, ports chosen freely, logs captured. Stop and start it to test restarts.
/// </summary>
internal sealed class OperatorUnderTest : IAsyncDisposable
{
    private CancellationTokenSource? _stop;
    private Task? _running;

    private OperatorUnderTest(TestCluster cluster, OperatorOptions options)
    {
        Cluster = cluster;
        Options = options;
    }

    public TestCluster Cluster { get; }
    public OperatorOptions Options { get; }
    public CapturedLogs Logs { get; } = new();
    public OperatorHost? Host { get; private set; }
    public Func<string, CancellationToken, Task>? StepHook { get; set; }
    public Func<string, CancellationToken, Task>? CaStepHook { get; set; }
    public IKubernetes Client => Cluster.Client;

    /// <summary>The clock the operator runs on (a FakeTimeProvider for simulated-time tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Options for replicas under leader election that hand over within seconds (a lease of 2 s), for failover tests.</summary>
    public static OperatorOptions Replicas { get; } = new()
    {
        LeaderElect = true,
        LeaseDuration = TimeSpan.FromSeconds(2),
        RenewDeadline = TimeSpan.FromSeconds(1.5),
        RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    public static async Task<OperatorUnderTest> StartAsync(TestCluster cluster, OperatorOptions? options = null, bool start = true, TimeProvider? time = null)
    {
        var op = new OperatorUnderTest(cluster, (options ?? new OperatorOptions { BundlePropagation = TimeSpan.Zero }) with
        {
            MetricsPort = 0,
            HealthPort = 0,
            // The issuer as sigil local serves it: loopback, a free port, https://127.0.0.1:<port> unless the test names a URL.
            IssuerPort = 0,
            IssuerAddress = IPAddress.Loopback,
            Namespace = options?.Namespace ?? $"sigil-{Guid.NewGuid().ToString("N")[..6]}",
        }) { Time = time ?? TimeProvider.System };
        await LocalSetup.InstallAsync(cluster.Client, op.Options.Namespace, CancellationToken.None);
        cluster.DeleteNamespaceAtEnd(op.Options.Namespace);
        if (start)
        {
            await op.StartAsync();
        }
        return op;
    }

    public async Task StartAsync()
    {
        _stop = new CancellationTokenSource();
        Host = new OperatorHost(Options, Cluster.Client, Logs, Time) { StepHook = StepHook, CaStepHook = CaStepHook };
        _running = Task.Run(() => Host.RunAsync(_stop.Token));
        await Eventually.TrueAsync(() => Task.FromResult(Host.Ready || _running.IsCompleted), TimeSpan.FromSeconds(30), "the operator never became ready");
        if (_running.IsFaulted)
        {
            await _running;
        }
    }

    public async Task StopAsync()
    {
        if (_stop is null || _running is null)
        {
            return;
        }
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
        _stop = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public static ServiceIdentity Identity(string name, X509Spec? x509 = null, string? serviceAccount = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec { ServiceAccountName = serviceAccount, X509 = x509 ?? new X509Spec() },
    };

    /// <summary>A caller with one API key for <paramref name="audience"/>, and no certificate.</summary>
    public static ServiceIdentity Caller(string name, string audience, string type = "Bearer", string every = "720h", string grace = "1h", string? schedule = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            ApiKeys = [new ApiKeySpec
            {
                Name = "k", Audience = audience, Type = type,
                Rotation = new RotationSpec { Every = schedule is null ? every : null, Schedule = schedule, GracePeriod = grace },
            }],
        },
    };

    /// <summary>A receiver that accepts the given callers (names in its namespace, or SPIFFE IDs).</summary>
    public static ServiceIdentity Receiver(string name, params string[] accepts) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ServiceIdentitySpec
        {
            AcceptsFrom = accepts.Select(a => a.StartsWith("spiffe://", StringComparison.Ordinal)
                ? new AcceptedCaller { SpiffeId = a } : new AcceptedCaller { ServiceIdentity = a }).ToList(),
        },
    };

    /// <summary>The receiver's keys.json entries.</summary>
    public async Task<List<Sigil.Credentials.ApiKeys.VerifierEntry>> VerifierAsync(string ns, string receiver) =>
        [.. Sigil.Credentials.ApiKeys.VerifierPlan.Parse((await SecretAsync(ns, receiver + "-verifiers"))?.Data?["keys.json"])];

    public async Task CreateAsync(string ns, ServiceIdentity identity) =>
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(identity, ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural);

    public async Task<ServiceIdentity> GetAsync(string ns, string name)
    {
        var obj = await Client.CustomObjects.GetNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, name);
        return KubernetesJson.Deserialize<ServiceIdentity>(((JsonElement)obj).GetRawText());
    }

    public async Task PatchAsync(string ns, string name, string mergePatch) =>
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(mergePatch, V1Patch.PatchType.MergePatch),
            ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, name);

    /// <summary>Waits until the identity's Ready condition has the reason (and, optionally, passes a check).</summary>
    public async Task<ServiceIdentity> WaitForAsync(string ns, string name, string reason, Func<ServiceIdentity, bool>? also = null, TimeSpan? within = null)
    {
        ServiceIdentity? last = null;
        await Eventually.TrueAsync(async () =>
        {
            last = await GetAsync(ns, name);
            return last.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Reason == reason && (also?.Invoke(last) ?? true);
        }, within ?? TimeSpan.FromSeconds(20), $"{ns}/{name} never reached {reason}");
        return last!;
    }

    /// <summary>
    /// Runs <paramref name="trigger"/> (a change that makes the operator look at the identity again) and waits until a pass
    /// that read the changed object has finished (a pass that began before the watch event reached the operator's cache
    /// read the old one and does not count). "Nothing changed" is then a claim about a pass that saw the change, not about
    /// a pause, which on a loaded machine may end before any pass has.
    /// </summary>
    public async Task PassAfterAsync(string ns, string name, Func<Task> trigger, TimeSpan? within = null)
    {
        var host = Host!;
        var key = $"{ns}/{name}";
        var before = (await GetAsync(ns, name)).Metadata.ResourceVersion;
        await trigger();
        await Eventually.TrueAsync(() => Task.FromResult(Later(host.Passes.LastFinishedRead(key), before)), within ?? TimeSpan.FromSeconds(30),
            $"no pass over {key} that read a version later than {before} (the trigger's) finished");
    }

    // resourceVersions are opaque by contract but etcd's (and the emulator's) are increasing numbers; otherwise, different.
    private static bool Later(string? read, string? before) =>
        read is not null && (long.TryParse(read, out var r) && long.TryParse(before, out var b) ? r > b : read != before);

    /// <summary>Waits until this run of the operator has finished a pass over the identity (after a start or restart).</summary>
    public async Task FirstPassAsync(string ns, string name, TimeSpan? within = null)
    {
        var host = Host!;
        await Eventually.TrueAsync(() => Task.FromResult(host.Passes.Finished($"{ns}/{name}") > 0), within ?? TimeSpan.FromSeconds(30),
            $"the operator never finished a pass over {ns}/{name}");
    }

    public Task<V1Secret?> SecretAsync(string ns, string name) => Client.ReadSecretOrNullAsync(ns, name);

    public static string Text(V1Secret secret, string key) => Encoding.ASCII.GetString(secret.Data[key]);
}
