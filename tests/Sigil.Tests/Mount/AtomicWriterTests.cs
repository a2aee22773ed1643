using System.Runtime.Versioning;
using System.Text;
using Sigil.Mount;

namespace Sigil.Tests.Mount;

[UnsupportedOSPlatform("windows")]
public sealed class AtomicWriterTests : IDisposable
{
    private static readonly DateTimeOffset First = new(2026, 12, 1, 1, 33, 43, TimeSpan.Zero);
    private readonly string _base = Directory.CreateTempSubdirectory("sigil-atomic-").FullName;

    private string Dir => Path.Combine(_base, "mount");

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Fact]
    public void The_first_write_puts_the_payload_in_a_timestamped_folder_named_by_data_and_links_each_key_through_data()
    {
        var result = AtomicWriter.Write(Dir, Payload("tls.crt=CERT", "tls.key=KEY"), First.AddTicks(1_234_567));

        Assert.True(result.Swapped);
        Assert.Equal("..2026_12_01_01_33_43.123456700", result.DataFolder);
        Assert.Equal(result.DataFolder, new FileInfo(Path.Combine(Dir, "..data")).LinkTarget);
        Assert.Equal("..data/tls.crt", new FileInfo(Path.Combine(Dir, "tls.crt")).LinkTarget);
        Assert.Equal("..data/tls.key", new FileInfo(Path.Combine(Dir, "tls.key")).LinkTarget);
        Assert.Equal("CERT", File.ReadAllText(Path.Combine(Dir, "tls.crt")));
        Assert.Equal("KEY", File.ReadAllText(Path.Combine(Dir, "tls.key")));
        Assert.Equal("CERT", File.ReadAllText(Path.Combine(Dir, result.DataFolder, "tls.crt")));
        Assert.Null(new FileInfo(Path.Combine(Dir, result.DataFolder, "tls.crt")).LinkTarget);
        Assert.Equal(["..2026_12_01_01_33_43.123456700", "..data", "tls.crt", "tls.key"], Entries(Dir));
        Assert.Equal(["tls.crt", "tls.key"], result.Keys);
    }

    [Theory]
    [InlineData("a changed value swaps data to a new folder", "a=1;b=2", "a=1;b=3", "a=1;b=3", "")]
    [InlineData("a removed key loses its link after the swap", "a=1;b=2", "a=1", "a=1", "b")]
    [InlineData("an added key gets a link", "a=1", "a=1;b=2", "a=1;b=2", "")]
    [InlineData("every key replaced at once", "a=1;b=2", "c=3", "c=3", "a;b")]
    [InlineData("an emptied payload removes every link and keeps an empty data folder", "a=1", "", "", "a")]
    public void A_changed_payload_swaps_data_and_removes_the_old_folder(string because, string before, string after, string expected, string removed)
    {
        var first = AtomicWriter.Write(Dir, Payload(before), First);

        var second = AtomicWriter.Write(Dir, Payload(after), First.AddSeconds(1));

        Assert.True(second.Swapped, because);
        Assert.NotEqual(first.DataFolder, second.DataFolder);
        Assert.Equal(second.DataFolder, new FileInfo(Path.Combine(Dir, "..data")).LinkTarget);
        Assert.False(Directory.Exists(Path.Combine(Dir, first.DataFolder)), "the old data folder is still there");
        Assert.Equal(Split(removed), second.RemovedKeys);
        var visible = Entries(Dir).Where(e => !e.StartsWith("..", StringComparison.Ordinal)).ToList();
        Assert.Equal(Split(expected).Select(kv => kv.Split('=')[0]), visible);
        foreach (var (key, value) in Payload(expected))
        {
            Assert.Equal(Encoding.UTF8.GetString(value), File.ReadAllText(Path.Combine(Dir, key)));
        }
        // rename(2) replaced the link itself: it did not move ..data_tmp into the old folder or leave it behind.
        Assert.Equal([second.DataFolder, "..data"], Entries(Dir).Where(e => e.StartsWith("..", StringComparison.Ordinal)));
        Assert.Equal(visible, Entries(Path.Combine(Dir, second.DataFolder)));
    }

    [Theory]
    [InlineData("the same payload", "a=1;b=2", "a=1;b=2")]
    [InlineData("the same payload in another order", "a=1;b=2", "b=2;a=1")]
    [InlineData("an empty payload again", "", "")]
    public void An_unchanged_payload_writes_nothing(string because, string before, string after)
    {
        var first = AtomicWriter.Write(Dir, Payload(before), First);
        var written = Directory.GetLastWriteTimeUtc(Path.Combine(Dir, first.DataFolder));
        var entries = Entries(Dir);

        var second = AtomicWriter.Write(Dir, Payload(after), First.AddSeconds(1));

        Assert.False(second.Swapped, because);
        Assert.Equal(first.DataFolder, second.DataFolder);
        Assert.Equal(first.DataFolder, new FileInfo(Path.Combine(Dir, "..data")).LinkTarget);
        Assert.Equal(entries, Entries(Dir));
        Assert.Equal(written, Directory.GetLastWriteTimeUtc(Path.Combine(Dir, first.DataFolder)));
    }

    [Fact]
    public void A_payload_unchanged_but_for_the_file_mode_is_written_again_with_the_new_mode()
    {
        AtomicWriter.Write(Dir, Payload("a=1"), First, AtomicWriter.SecretFileMode);

        var second = AtomicWriter.Write(Dir, Payload("a=1"), First.AddSeconds(1), AtomicWriter.ConfigMapFileMode);

        Assert.True(second.Swapped);
        Assert.Equal(AtomicWriter.ConfigMapFileMode, File.GetUnixFileMode(Path.Combine(Dir, second.DataFolder, "a")));
    }

    [Fact]
    public void A_link_the_user_deleted_is_put_back_without_a_swap()
    {
        var first = AtomicWriter.Write(Dir, Payload("a=1;b=2"), First);
        File.Delete(Path.Combine(Dir, "a"));

        var second = AtomicWriter.Write(Dir, Payload("a=1;b=2"), First.AddSeconds(1));

        Assert.False(second.Swapped);
        Assert.Equal(first.DataFolder, second.DataFolder);
        Assert.Equal("1", File.ReadAllText(Path.Combine(Dir, "a")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("../../x")]
    [InlineData("..data")]
    [InlineData("..data_tmp")]
    [InlineData("..2026_12_01_01_33_43.000000000")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("...")]
    [InlineData("a/b")]
    [InlineData("/etc/x")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    [InlineData("")]
    [InlineData("sp ace")]
    public void A_key_the_kubelet_would_refuse_is_skipped_and_nothing_is_written_outside_the_folder(string key)
    {
        var payload = new Dictionary<string, byte[]> { ["good"] = "ok"u8.ToArray(), [key] = "evil"u8.ToArray() };

        var result = AtomicWriter.Write(Dir, payload, First);

        Assert.Equal(["good"], result.Keys);
        Assert.Equal([key], result.SkippedKeys);
        Assert.Equal(["mount"], Entries(_base));
        Assert.Equal([result.DataFolder, "..data", "good"], Entries(Dir));
        Assert.Equal(["good"], Entries(Path.Combine(Dir, result.DataFolder)));
        Assert.Equal(result.DataFolder, new FileInfo(Path.Combine(Dir, "..data")).LinkTarget);
        Assert.False(AtomicWriter.IsValidKey(key));
    }

    [Theory]
    [InlineData("tls.crt")]
    [InlineData("ca.crt")]
    [InlineData("bundle.spiffe")]
    [InlineData("payments.jwt")]
    [InlineData("api-key")]
    [InlineData("hmac_secret")]
    [InlineData(".hidden")]
    [InlineData("a..b")]
    public void Keys_Sigil_and_users_write_are_valid(string key) => Assert.True(AtomicWriter.IsValidKey(key));

    [Theory]
    [InlineData("a file", "notes.txt", false)]
    [InlineData("a hidden file", ".bashrc", false)]
    [InlineData("a folder", "src", true)]
    public void A_non_empty_folder_that_is_not_a_mount_is_refused_and_left_untouched(string because, string name, bool isFolder)
    {
        Directory.CreateDirectory(Dir);
        var path = Path.Combine(Dir, name);
        if (isFolder)
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            File.WriteAllText(path, "mine");
        }

        var error = Assert.Throws<InvalidOperationException>(() => AtomicWriter.Write(Dir, Payload("a=1"), First));

        Assert.Contains("refusing to mount into", error.Message, StringComparison.Ordinal);
        Assert.Contains(Dir, error.Message, StringComparison.Ordinal);
        Assert.Equal([name], Entries(Dir));
        Assert.True(isFolder ? Directory.Exists(path) : File.ReadAllText(path) == "mine", because);
    }

    [Fact]
    public void A_path_that_is_a_file_is_refused()
    {
        File.WriteAllText(Path.Combine(_base, "file"), "mine");

        var error = Assert.Throws<InvalidOperationException>(() => AtomicWriter.Write(Path.Combine(_base, "file"), Payload("a=1"), First));

        Assert.Contains("is a file", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_base, "file")));
    }

    [Fact]
    public void A_data_link_that_names_something_other_than_a_data_folder_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(Dir, "elsewhere"));
        File.CreateSymbolicLink(Path.Combine(Dir, "..data"), "elsewhere");

        Assert.Throws<InvalidOperationException>(() => AtomicWriter.Write(Dir, Payload("a=1"), First));
        Assert.Equal("elsewhere", new FileInfo(Path.Combine(Dir, "..data")).LinkTarget);
    }

    [Fact]
    public void A_mount_whose_data_folder_was_deleted_by_hand_gets_a_whole_new_one()
    {
        var first = AtomicWriter.Write(Dir, Payload("a=1;b=2"), First);
        Directory.Delete(Path.Combine(Dir, first.DataFolder), recursive: true);

        var second = AtomicWriter.Write(Dir, Payload("a=1;b=2"), First.AddSeconds(1));

        Assert.True(second.Swapped);
        Assert.Equal("1", File.ReadAllText(Path.Combine(Dir, "a")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(Dir, "b")));
    }

    [Fact]
    public void An_empty_folder_is_taken_over_and_keeps_its_mode()
    {
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, (UnixFileMode)Convert.ToInt32("750", 8));

        var result = AtomicWriter.Write(Dir, Payload("a=1"), First);

        Assert.True(result.Swapped);
        Assert.Equal("1", File.ReadAllText(Path.Combine(Dir, "a")));
        Assert.Equal((UnixFileMode)Convert.ToInt32("750", 8), File.GetUnixFileMode(Dir));
    }

    [Fact]
    public void The_leftovers_of_a_first_write_that_stopped_before_its_swap_are_taken_over_and_cleaned()
    {
        Directory.CreateDirectory(Path.Combine(Dir, "..2026_11_30_00_00_00.000000000"));
        File.WriteAllText(Path.Combine(Dir, "..2026_11_30_00_00_00.000000000", "a"), "old");
        File.CreateSymbolicLink(Path.Combine(Dir, "..data_tmp"), "..2026_11_30_00_00_00.000000000");

        var result = AtomicWriter.Write(Dir, Payload("a=1"), First);

        Assert.Equal([result.DataFolder, "..data", "a"], Entries(Dir));
        Assert.Equal("1", File.ReadAllText(Path.Combine(Dir, "a")));
    }

    [Fact]
    public void A_file_of_the_users_under_a_keys_name_is_left_alone_and_reported()
    {
        AtomicWriter.Write(Dir, Payload("a=1"), First);
        File.WriteAllText(Path.Combine(Dir, "b"), "mine");

        var added = AtomicWriter.Write(Dir, Payload("a=1;b=2"), First.AddSeconds(1));
        var removed = AtomicWriter.Write(Dir, Payload("a=1"), First.AddSeconds(2));

        Assert.Equal(["b"], added.ShadowedKeys);
        Assert.Equal(["b"], removed.RemovedKeys);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Dir, "b")));
    }

    [Theory]
    [InlineData("a Secret's files are the owner's alone", AtomicWriter.SecretFileMode, "600")]
    [InlineData("a ConfigMap's files are readable by all, as the kubelet writes them", AtomicWriter.ConfigMapFileMode, "644")]
    public void Files_folders_and_a_new_mount_have_the_modes_of_their_kind(string because, UnixFileMode fileMode, string expected)
    {
        var result = AtomicWriter.Write(Path.Combine(Dir, "nested"), Payload("a=1"), First, fileMode);

        Assert.Equal(Mode(expected), File.GetUnixFileMode(Path.Combine(Dir, "nested", result.DataFolder, "a")));
        Assert.Equal(Mode("755"), File.GetUnixFileMode(Path.Combine(Dir, "nested", result.DataFolder)));
        Assert.Equal(Mode("700"), File.GetUnixFileMode(Path.Combine(Dir, "nested")));
        Assert.True(Directory.Exists(Path.Combine(Dir, "nested")), because);
    }

    [Fact]
    public void Two_writes_with_the_same_timestamp_get_two_folders()
    {
        var first = AtomicWriter.Write(Dir, Payload("a=1"), First);
        Directory.CreateDirectory(Path.Combine(Dir, "..2026_12_01_01_33_43.000000001"));

        var second = AtomicWriter.Write(Dir, Payload("a=2"), First);

        Assert.Equal("..2026_12_01_01_33_43.000000000", first.DataFolder);
        Assert.Equal("..2026_12_01_01_33_43.000000002", second.DataFolder);
        Assert.Equal("2", File.ReadAllText(Path.Combine(Dir, "a")));
    }

    [Fact]
    public async Task A_reader_that_resolves_data_then_reads_its_files_never_sees_two_versions_mixed_while_many_swaps_happen()
    {
        string[] keys = ["tls.crt", "tls.key", "ca.crt"];
        static Dictionary<string, byte[]> Version(string[] keys, int v) =>
            keys.ToDictionary(k => k, k => Encoding.UTF8.GetBytes($"version {v} of {k} " + new string('x', v % 7 * 1000)));
        AtomicWriter.Write(Dir, Version(keys, 0), First);
        using var stop = new CancellationTokenSource();
        var (consistent, vanished, missingData, mixed) = (0, 0, 0, new List<string>());

        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (AtomicWriter.CurrentDataFolder(Dir) is not { } target)
                {
                    Interlocked.Increment(ref missingData);
                    continue;
                }
                try
                {
                    var versions = keys.Select(k => File.ReadAllText(Path.Combine(Dir, target, k)).Split(' ')[1]).Distinct().ToList();
                    if (versions.Count == 1)
                    {
                        Interlocked.Increment(ref consistent);
                    }
                    else
                    {
                        lock (mixed)
                        {
                            mixed.Add(string.Join(",", versions));
                        }
                    }
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // The writer removed that version after the next swap; a reader then resolves ..data again.
                    Interlocked.Increment(ref vanished);
                }
            }
        });
        // At least 400 swaps, and on until the reader has completed 50 reads while they happen: on a loaded machine the
        // reader may get no time at all during the first 400, and a test that read nothing proves nothing.
        while (Volatile.Read(ref consistent) == 0 && !reader.IsCompleted)
        {
            await Task.Yield();
        }
        var readsBefore = Volatile.Read(ref consistent);
        var v = 0;
        while (++v <= 400 || (Volatile.Read(ref consistent) - readsBefore < 50 && v < 20_000))
        {
            AtomicWriter.Write(Dir, Version(keys, v), First.AddSeconds(v));
        }
        var last = v - 1;
        stop.Cancel();
        await reader;

        Assert.Empty(mixed);
        Assert.Equal(0, missingData);
        Assert.True(consistent - readsBefore >= 50, $"the reader completed {consistent - readsBefore} reads during {last} swaps ({vanished} vanished)");
        Assert.Equal($"version {last} of tls.key " + new string('x', last % 7 * 1000), File.ReadAllText(Path.Combine(Dir, "tls.key")));
        Assert.Equal(2, Entries(Dir).Count(e => e.StartsWith("..", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("an empty folder anyone may write (as another user could pre-create under /tmp)", "0777", false)]
    [InlineData("an empty folder its group may write", "0775", false)]
    [InlineData("an existing mount made writable by others since", "0757", true)]
    public void A_folder_that_others_may_write_is_refused_because_they_could_repoint_data(string because, string mode, bool mountFirst)
    {
        if (mountFirst)
        {
            AtomicWriter.Write(Dir, Payload("a=1"), First);
        }
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, Mode(mode));

        var refused = Assert.Throws<InvalidOperationException>(() => AtomicWriter.Write(Dir, Payload("a=2"), First.AddSeconds(1)));

        Assert.True(refused.Message.Contains("writable by", StringComparison.Ordinal), $"{because}: {refused.Message}");
        Assert.Equal(refused.Message, AtomicWriter.Refusal(Dir));
        Assert.DoesNotContain('\n', refused.Message);
    }

    private static Dictionary<string, byte[]> Payload(params string[] pairs) =>
        pairs.SelectMany(Split).ToDictionary(kv => kv.Split('=')[0], kv => Encoding.UTF8.GetBytes(kv.Split('=', 2)[1]));

    private static string[] Split(string list) => list.Split(';', StringSplitOptions.RemoveEmptyEntries);

    private static List<string> Entries(string dir) =>
        [.. Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);
}
