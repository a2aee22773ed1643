using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.Mounting;

public sealed class MountedFolderTests : IDisposable
{
    private readonly KubeletFolder _folder = new();

    private static Dictionary<string, string> Version(int n) => new()
    {
        ["tls.crt"] = $"certificate of version {n}",
        ["tls.key"] = $"key of version {n}",
        ["ca.crt"] = $"bundle of version {n}" + new string('.', 10_000),
    };

    private static int MarkerOf(string content) => int.Parse(content.Split(' ')[3].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_reader_during_hundreds_of_kubelet_swaps_from_another_thread_never_sees_a_mix_of_two_versions()
    {
        _folder.Write(Version(0));
        const int Swaps = 400;
        var writer = Task.Run(() =>
        {
            for (var n = 1; n <= Swaps; n++)
            {
                _folder.Write(Version(n));
            }
        }, TestContext.Current.CancellationToken);
        var seen = new HashSet<int>();
        var reads = 0;
        var gaveUp = 0;

        while (!writer.IsCompleted || reads == 0)
        {
            FolderSnapshot snapshot;
            try
            {
                snapshot = MountedFolder.Read(_folder.Path);
            }
            catch (SigilCredentialException e) when (e.Message.Contains("changed under every", StringComparison.Ordinal))
            {
                gaveUp++; // allowed (it says so), never a mix
                continue;
            }
            reads++;
            Assert.Equal(["ca.crt", "tls.crt", "tls.key"], snapshot.Files.Keys.Order(StringComparer.Ordinal));
            var markers = snapshot.Files.Values.Select(v => MarkerOf(System.Text.Encoding.UTF8.GetString(v))).Distinct().ToList();
            Assert.True(markers.Count == 1, $"read {reads} mixed versions {string.Join(", ", markers)}");
            seen.Add(markers[0]);
        }
        await writer;

        Assert.True(seen.Count > 5, $"only {seen.Count} versions seen in {reads} reads ({gaveUp} gave up): the reads did not overlap the swaps");
        Assert.True(gaveUp < reads, $"{gaveUp} reads gave up, {reads} succeeded");
    }

    [Fact]
    public void The_version_is_the_data_link_target_and_changes_with_each_swap()
    {
        _folder.Write(Version(1));
        var first = MountedFolder.Read(_folder.Path);
        _folder.Write(Version(2));
        var second = MountedFolder.Read(_folder.Path);

        Assert.StartsWith("..", first.Version, StringComparison.Ordinal);
        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal("certificate of version 2", second.RequireText("tls.crt", "x"));
    }

    [Fact]
    public void A_plain_folder_is_read_directly_and_its_version_follows_the_content()
    {
        var plain = Directory.CreateTempSubdirectory("sigil-plain-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(plain, "key-id"), "abc");
            File.WriteAllText(Path.Combine(plain, "..hidden"), "bookkeeping");
            var first = MountedFolder.Read(plain);
            File.WriteAllText(Path.Combine(plain, "key-id"), "abd");
            var second = MountedFolder.Read(plain);

            Assert.Equal(["key-id"], first.Files.Keys);
            Assert.NotEqual(first.Version, second.Version);
            Assert.Equal(second.Version, MountedFolder.Read(plain).Version);
        }
        finally
        {
            Directory.Delete(plain, recursive: true);
        }
    }

    [Fact]
    public void A_missing_folder_says_to_mount_it_and_a_missing_key_names_the_file()
    {
        var missing = Assert.Throws<SigilCredentialException>(() => MountedFolder.Read("/nonexistent/sigil/svid"));
        Assert.Contains("sigil mount", missing.Message, StringComparison.Ordinal);

        _folder.Write(new Dictionary<string, string> { ["tls.crt"] = "x" });
        var noKey = Assert.Throws<SigilCredentialException>(() => MountedFolder.Read(_folder.Path).Require("tls.key", "the SVID private key"));
        Assert.Contains(Path.Combine(_folder.Path, "tls.key"), noKey.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
