using Microsoft.Extensions.Time.Testing;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Mounting;

/// <summary>A credential of two files that must carry the same marker (as a certificate and its key must match).</summary>
internal sealed record Pair(string Marker);

internal sealed class PairSource(string directory, CredentialSourceOptions options) : CredentialSource<Pair>(directory, options)
{
    protected override Pair Parse(FolderSnapshot snapshot)
    {
        var a = snapshot.RequireText("a", "the first half");
        var b = snapshot.RequireText("b", "the second half");
        return a == b ? new Pair(a) : throw new SigilCredentialException($"{snapshot.Directory}: a and b do not match");
    }
}

public sealed class CredentialSourceTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    private readonly KubeletFolder _folder = new();
    private readonly FakeTimeProvider _clock = new();

    private static Dictionary<string, string> Whole(string marker) => new() { ["a"] = marker, ["b"] = marker };

    private PairSource Source(bool watch = false) =>
        new(_folder.Path, new CredentialSourceOptions { WatchFileSystem = watch, TimeProvider = _clock, PollInterval = Poll });

    [Fact]
    public void A_version_briefly_missing_a_key_keeps_the_last_good_credential_reports_once_and_recovers()
    {
        _folder.Write(Whole("v1"));
        using var source = Source();
        var failures = new List<SigilCredentialException>();
        var changes = new List<Pair>();
        source.ReloadFailed += (_, e) => failures.Add(e);
        source.Changed += (_, p) => changes.Add(p);

        _folder.Write(new Dictionary<string, string> { ["a"] = "v2" });
        _clock.Advance(Poll);
        _clock.Advance(Poll);

        Assert.Equal("v1", source.Current.Marker);
        Assert.Contains(Path.Combine(_folder.Path, "b"), Assert.Single(failures).Message, StringComparison.Ordinal);
        Assert.NotNull(source.LastError);

        _folder.Write(Whole("v3"));
        _clock.Advance(Poll);

        Assert.Equal("v3", source.Current.Marker);
        Assert.Null(source.LastError);
        Assert.Equal(["v3"], changes.Select(c => c.Marker));
    }

    [Fact]
    public void Without_file_system_events_a_data_swap_is_taken_at_the_next_poll_and_not_before()
    {
        _folder.Write(Whole("v1"));
        using var source = Source(watch: false);

        _folder.Write(Whole("v2"));
        _clock.Advance(Poll - TimeSpan.FromMilliseconds(1));
        var beforePoll = source.Current.Marker;
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(("v1", "v2"), (beforePoll, source.Current.Marker));
    }

    [Fact]
    public async Task With_file_system_events_a_data_swap_is_taken_without_waiting_for_a_poll()
    {
        _folder.Write(Whole("v1"));
        using var source = Source(watch: true);

        _folder.Write(Whole("v2"));

        // The fake clock never advances: only the watcher can have reloaded.
        await Eventually.TrueAsync(() => Task.FromResult(source.Current.Marker == "v2"), TimeSpan.FromSeconds(10), "the watcher never saw the ..data rename");
    }

    [Fact]
    public void A_Changed_handler_that_throws_does_not_escape_the_poll_and_the_new_version_is_kept()
    {
        _folder.Write(Whole("v1"));
        using var source = Source();
        source.Changed += (_, _) => throw new InvalidOperationException("a handler's bug");

        _folder.Write(Whole("v2"));
        _clock.Advance(Poll);

        Assert.Equal("v2", source.Current.Marker);
    }

    [Fact]
    public void A_folder_without_a_valid_credential_at_start_is_an_error_naming_the_file()
    {
        _folder.Write(new Dictionary<string, string> { ["a"] = "v1" });
        var error = Assert.Throws<SigilCredentialException>(() => Source());
        Assert.Contains(Path.Combine(_folder.Path, "b"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_source_stops_following_the_folder()
    {
        _folder.Write(Whole("v1"));
        var source = Source();
        source.Dispose();

        _folder.Write(Whole("v2"));
        _clock.Advance(Poll);

        Assert.False(source.Reload());
        Assert.Equal("v1", source.Current.Marker);
    }

    [Fact]
    public void A_key_file_that_does_not_parse_is_reported_without_its_content()
    {
        const string Marker = "SECRETMATERIAL";
        using var pki = new TestPki();
        var files = TestPki.Files(pki.Issue(pki.Ours, "shop", "payments"));
        _folder.Write(files);
        using var source = new X509SvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = _clock });
        var good = source.Current;

        files["tls.key"] = $"-----BEGIN PRIVATE KEY-----\n{Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(Marker))}\n-----END PRIVATE KEY-----\n";
        _folder.Write(files);
        source.Reload();

        Assert.Same(good, source.Current);
        Assert.DoesNotContain(Marker, source.LastError!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(Marker)), source.LastError.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_poll_interval_that_is_not_positive_is_refused()
    {
        _folder.Write(Whole("v1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairSource(_folder.Path, new CredentialSourceOptions { PollInterval = TimeSpan.Zero }));
    }

    public void Dispose() => _folder.Dispose();
}
