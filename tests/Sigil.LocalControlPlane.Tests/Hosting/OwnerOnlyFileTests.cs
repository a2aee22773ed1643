using System.Runtime.Versioning;
using System.Text;
using Sigil.LocalControlPlane;
using Sigil.LocalControlPlane.Hosting;

namespace Sigil.LocalControlPlane.Tests.Hosting;

/// <summary>
/// The kubeconfig holds the admin bearer token: another user of the machine must never read it, neither
/// after it is written nor while it is being written, nor through a file they opened before.
/// </summary>
[UnsupportedOSPlatform("windows")] // Unix file modes; each test skips itself on Windows
public sealed class OwnerOnlyFileTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerReadWrite | UnixFileMode.UserExecute;
    private const UnixFileMode WorldReadable = OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _folder = Directory.CreateTempSubdirectory("sigil-owner-only-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Sigil_local_writes_its_kubeconfig_0600_in_a_0700_folder_it_creates()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var kubeconfig = Path.Combine(_folder, ".sigil", "kubeconfig");

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { KubeconfigPath = kubeconfig });

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(kubeconfig));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.GetDirectoryName(kubeconfig)!));
        Assert.True((await File.ReadAllTextAsync(kubeconfig)).Contains(cluster.AdminToken, StringComparison.Ordinal), "the kubeconfig does not hold the admin token");
    }

    [Fact]
    public async Task Sigil_local_replaces_a_world_readable_kubeconfig_so_a_reader_who_opened_it_never_sees_the_new_token()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var kubeconfig = Path.Combine(_folder, ".sigil", "kubeconfig");
        Directory.CreateDirectory(Path.GetDirectoryName(kubeconfig)!);
        await File.WriteAllTextAsync(kubeconfig, "an old kubeconfig");
        File.SetUnixFileMode(kubeconfig, WorldReadable);
        await using var eavesdropper = new FileStream(kubeconfig, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { KubeconfigPath = kubeconfig });

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(kubeconfig));
        // Assert.True, not Equal or Contains: a failure must not print the token.
        Assert.True((await File.ReadAllTextAsync(kubeconfig)).Contains(cluster.AdminToken, StringComparison.Ordinal), "the kubeconfig does not hold the admin token");
        Assert.True(await new StreamReader(eavesdropper).ReadToEndAsync() == "an old kubeconfig", "a reader who had opened the old kubeconfig read the new one");
        Assert.Equal(["kubeconfig"], Directory.GetFiles(Path.GetDirectoryName(kubeconfig)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_further_users_kubeconfig_is_0600_too()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { KubeconfigPath = Path.Combine(_folder, "kubeconfig") });

        var (client, path) = await cluster.AddUserAsync("system:serviceaccount:shop:reader");
        client.Dispose();

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task While_the_content_is_written_every_file_holding_it_is_0600_and_the_target_still_holds_the_old_content()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var target = Path.Combine(_folder, "kubeconfig");
        await File.WriteAllTextAsync(target, "old");
        File.SetUnixFileMode(target, WorldReadable);
        var seenWhileWriting = new List<(string File, UnixFileMode Mode)>();
        string? targetWhileWriting = null;

        await OwnerOnlyFile.WriteAsync(target, async (stream, ct) =>
        {
            seenWhileWriting.AddRange(Directory.GetFiles(_folder).Where(f => f != target).Select(f => (f, File.GetUnixFileMode(f))));
            targetWhileWriting = await File.ReadAllTextAsync(target, ct);
            await stream.WriteAsync(Encoding.UTF8.GetBytes("token: secret"), ct);
        }, CancellationToken.None);

        var (file, mode) = Assert.Single(seenWhileWriting);
        Assert.Equal(OwnerReadWrite, mode);
        Assert.Equal(_folder, Path.GetDirectoryName(file));
        Assert.Equal("old", targetWhileWriting);
        Assert.Equal("token: secret", await File.ReadAllTextAsync(target));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(target));
    }

    [Fact]
    public async Task A_write_that_fails_leaves_the_old_file_and_no_temporary_file_behind()
    {
        var target = Path.Combine(_folder, "kubeconfig");
        await File.WriteAllTextAsync(target, "old");

        await Assert.ThrowsAsync<IOException>(() => OwnerOnlyFile.WriteAsync(target, async (stream, ct) =>
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("token: half"), ct);
            throw new IOException("disk full");
        }, CancellationToken.None));

        Assert.Equal("old", await File.ReadAllTextAsync(target));
        Assert.Equal([target], Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task A_folder_that_already_exists_keeps_its_mode()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "shared")).FullName;
        File.SetUnixFileMode(folder, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        await OwnerOnlyFile.WriteAsync(Path.Combine(folder, "kubeconfig"), "token: secret", CancellationToken.None);

        Assert.Equal(OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(folder));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(folder, "kubeconfig")));
    }
}
