using System.Runtime.Versioning;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Sigil.Mount;
using Sigil.Tests.Support;

namespace Sigil.Tests.Mount;

/// <summary>The follower against a cluster: it follows updates, survives cut watches, and keeps content after a delete.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class SecretFollowerTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("sigil-follow-").FullName;

    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_folder_follows_every_update_of_its_Secret_and_keeps_the_last_content_when_it_is_deleted(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync("mount");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("svid", ("tls.crt", "cert 1"), ("tls.key", "key 1")), ns);
        var dir = Path.Combine(_base, "svid");
        var logs = new CapturedLogs();
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.Secret, "svid", dir), logs.CreateLogger("mount"), TimeProvider.System);
        var (updates, deletions) = Observe(follower);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = follower.RunAsync(stop.Token);

        var first = await Next(updates);
        await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(Secret("svid", ("tls.crt", "cert 2"), ("ca.crt", "ca 2")), "svid", ns);
        var second = await Next(updates);
        var afterUpdate = (Read(dir, "tls.crt"), Read(dir, "ca.crt"), File.Exists(Path.Combine(dir, "tls.key")));
        await cluster.Client.CoreV1.DeleteNamespacedSecretAsync("svid", ns);
        await Next(deletions);
        await stop.CancelAsync();
        await running;

        Assert.Equal(["tls.crt", "tls.key"], first.Write.Keys);
        Assert.Equal(["ca.crt", "tls.crt"], second.Write.Keys);
        Assert.Equal(["tls.key"], second.Write.RemovedKeys);
        Assert.NotEqual(first.ResourceVersion, second.ResourceVersion);
        Assert.Equal(("cert 2", "ca 2", false), afterUpdate);
        Assert.Equal("cert 2", Read(dir, "tls.crt"));
        Assert.Equal(second.Write.DataFolder, AtomicWriter.CurrentDataFolder(dir));
        Assert.Contains(logs.Lines, l => l.Contains("was deleted", StringComparison.Ordinal) && l.Contains("keeps its last content", StringComparison.Ordinal));
        var updated = logs.Lines.Where(l => l.StartsWith("Information: Updated", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, updated.Count);
        Assert.Contains(second.ResourceVersion, updated[1], StringComparison.Ordinal);
        Assert.Contains("ca.crt", updated[1], StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("cert ", StringComparison.Ordinal) || l.Contains("key 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_folder_keeps_following_after_every_watch_is_cut_and_an_unchanged_relist_does_not_swap()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync("mount");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("key", ("api-key", "one")), ns);
        var dir = Path.Combine(_base, "key");
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.Secret, "key", dir), new CapturedLogs().CreateLogger("mount"), TimeProvider.System);
        var (updates, _) = Observe(follower);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = follower.RunAsync(stop.Token);
        await Next(updates);
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.Count("watch", "secrets", ns) >= 1), because: "the follower never watched");

        await Eventually.TrueAsync(() => Task.FromResult(local.Faults.CutWatches() > 0), because: "no watch to cut");
        local.Faults.FailNext(2, 500, r => r.Verb is "watch" or "list" && r.Resource == "secrets");
        await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(Secret("key", ("api-key", "two")), "key", ns);
        var afterCut = await Next(updates);
        var watchesAfterCut = local.Requests.Count("watch", "secrets", ns);
        await stop.CancelAsync();
        await running;

        Assert.Equal("two", Read(dir, "api-key"));
        Assert.True(watchesAfterCut >= 2, $"the follower watched {watchesAfterCut} times");
        Assert.False(updates.TryRead(out var extra), $"an unchanged resync swapped the folder again ({extra?.ResourceVersion})");
        Assert.Equal(afterCut.Write.DataFolder, AtomicWriter.CurrentDataFolder(dir));
    }

    [Fact]
    public async Task A_watch_that_resumes_too_late_gets_410_and_the_follower_lists_again_without_losing_the_update()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local, new Sigil.LocalControlPlane.LocalClusterOptions { WatchHistoryCapacity = 5 });
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync("mount");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("key", ("api-key", "one")), ns);
        var dir = Path.Combine(_base, "key");
        var logs = new CapturedLogs();
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.Secret, "key", dir), logs.CreateLogger("mount"), TimeProvider.System);
        var (updates, _) = Observe(follower);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = follower.RunAsync(stop.Token);
        await Next(updates);
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.Count("watch", "secrets", ns) >= 1), because: "the follower never watched");

        local.Faults.AddLatency(TimeSpan.FromMilliseconds(800), r => r.Verb == "watch" && r.Resource == "secrets");
        await Eventually.TrueAsync(() => Task.FromResult(local.Faults.CutWatches() > 0), because: "no watch to cut");
        await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(Secret("key", ("api-key", "two")), "key", ns);
        for (var i = 0; i < 20; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret($"other-{i}", ("x", "y")), ns);
        }
        var update = await Next(updates);
        local.Faults.Reset();
        await stop.CancelAsync();
        await running;

        Assert.Equal("two", Read(dir, "api-key"));
        Assert.Contains(logs.Lines, l => l.Contains("410 Gone", StringComparison.Ordinal));
        Assert.True(local.Requests.Count("list", "secrets", ns) >= 2, "the follower did not list again after 410 Gone");
        Assert.Equal(update.Write.DataFolder, AtomicWriter.CurrentDataFolder(dir));
    }

    [Fact]
    public async Task A_ConfigMap_is_mounted_with_its_data_and_binaryData_readable_by_all()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("mount");
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "sigil-trust-bundle" },
            Data = new Dictionary<string, string> { ["ca.crt"] = "PEM", ["jwks.json"] = "{}" },
            BinaryData = new Dictionary<string, byte[]> { ["blob"] = [0, 1, 2] },
        }, ns);
        var dir = Path.Combine(_base, "trust");
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.ConfigMap, "sigil-trust-bundle", dir),
            new CapturedLogs().CreateLogger("mount"), TimeProvider.System);

        var update = await follower.WriteOnceAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(update);
        Assert.Equal(["blob", "ca.crt", "jwks.json"], update.Write.Keys);
        Assert.Equal("PEM", Read(dir, "ca.crt"));
        Assert.Equal(new byte[] { 0, 1, 2 }, File.ReadAllBytes(Path.Combine(dir, "blob")));
        Assert.Equal(AtomicWriter.ConfigMapFileMode, File.GetUnixFileMode(Path.Combine(dir, update.Write.DataFolder, "ca.crt")));
    }

    [Fact]
    public async Task Writing_once_a_Secret_that_does_not_exist_writes_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("mount");
        var dir = Path.Combine(_base, "missing");
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.Secret, "missing", dir), new CapturedLogs().CreateLogger("mount"), TimeProvider.System);

        var update = await follower.WriteOnceAsync(TestContext.Current.CancellationToken);

        Assert.Null(update);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task A_Secret_created_after_the_follower_started_is_mounted_when_it_appears()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("mount");
        var dir = Path.Combine(_base, "later");
        var logs = new CapturedLogs();
        var follower = new SecretFollower(cluster.Client, ns, new MountTarget(MountKind.Secret, "later", dir), logs.CreateLogger("mount"), TimeProvider.System);
        var (updates, _) = Observe(follower);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = follower.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => Task.FromResult(logs.Lines.Any(l => l.Contains("does not exist", StringComparison.Ordinal))), because: "no word that it waits");

        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("other", ("x", "no")), ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("later", ("x", "yes")), ns);
        var update = await Next(updates);
        await stop.CancelAsync();
        await running;

        Assert.Equal("later", update.Source.Split('/')[1]);
        Assert.Equal("yes", Read(dir, "x"));
    }

    private static (ChannelReader<FolderUpdate> Updates, ChannelReader<string> Deletions) Observe(SecretFollower follower)
    {
        var updates = Channel.CreateUnbounded<FolderUpdate>();
        var deletions = Channel.CreateUnbounded<string>();
        follower.Updated += u => updates.Writer.TryWrite(u);
        follower.SourceDeleted += s => deletions.Writer.TryWrite(s);
        return (updates.Reader, deletions.Reader);
    }

    private static async Task<T> Next<T>(ChannelReader<T> reader) =>
        await reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    private static string Read(string dir, string key) => File.ReadAllText(Path.Combine(dir, key));

    private static V1Secret Secret(string name, params (string Key, string Value)[] data) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Data = data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetBytes(d.Value)),
    };
}
