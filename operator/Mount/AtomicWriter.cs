using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Sigil.Mount;

// Unix only, as the kubelet's volumes are (symlinks, modes, rename(2)): Write refuses Windows at its entry, so the
// platform analyzer's per-call warnings would all say the same thing.
#pragma warning disable CA1416

/// <summary>What one <see cref="AtomicWriter.Write"/> did. Names only: never the values.</summary>
/// <param name="Swapped">Whether a new data folder was written and <c>..data</c> moved to it (false: the payload was unchanged).</param>
/// <param name="DataFolder">The timestamped folder <c>..data</c> names after the write.</param>
/// <param name="Keys">The keys now visible in the folder, sorted.</param>
/// <param name="SkippedKeys">Keys left out because the kubelet would refuse their names (<c>..x</c>, <c>a/b</c>, <c>.</c>).</param>
/// <param name="RemovedKeys">Keys of the previous payload whose links were removed.</param>
/// <param name="ShadowedKeys">Keys whose name is taken in the folder by something that is not this writer's link (left alone, as the kubelet does).</param>
internal sealed record AtomicWriteResult(
    bool Swapped,
    string DataFolder,
    IReadOnlyList<string> Keys,
    IReadOnlyList<string> SkippedKeys,
    IReadOnlyList<string> RemovedKeys,
    IReadOnlyList<string> ShadowedKeys);

/// <summary>
/// Writes a payload into a folder the way the kubelet's atomic writer (kubernetes pkg/volume/util/atomic_writer.go)
/// updates a Secret or ConfigMap volume, so a reader that goes through <c>..data</c> sees one whole version or the
/// next, never a mix:
/// <code>
/// DIR/..2026_12_01_01_33_43.123456789/tls.crt   the payload, in a fresh timestamped folder
/// DIR/..data -> ..2026_12_01_01_33_43.123456789  swapped with rename(2): the one atomic step
/// DIR/tls.crt -> ..data/tls.crt                  the names applications open
/// </code>
/// One writer per folder: two processes writing the same folder race, as two kubelets would.
/// </summary>
internal static partial class AtomicWriter
{
    public const string DataLink = "..data";
    public const string NewDataLink = "..data_tmp";

    /// <summary>Secrets: owner-only, since this runs on a laptop (the kubelet's defaultMode is 0644).</summary>
    public const UnixFileMode SecretFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>ConfigMaps (trust bundles): readable by all, as the kubelet writes them.</summary>
    public const UnixFileMode ConfigMapFileMode = SecretFileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode DataFolderMode = ConfigMapFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode NewRootMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Brings <paramref name="directory"/> in step with <paramref name="payload"/>: a new timestamped folder and a
    /// <c>..data</c> swap when anything changed, nothing at all when it did not. Creates the folder (0700) when missing;
    /// refuses a non-empty folder without <c>..data</c>, so a mistyped path never clobbers someone's files.
    /// </summary>
    /// <param name="timestamp">Names the new data folder (tests pass one to make swaps deterministic); default now.</param>
    /// <param name="fileMode">Mode of every written file: <see cref="SecretFileMode"/> or <see cref="ConfigMapFileMode"/>.</param>
    public static AtomicWriteResult Write(string directory, IReadOnlyDictionary<string, byte[]> payload,
        DateTimeOffset? timestamp = null, UnixFileMode fileMode = SecretFileMode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("sigil mount needs symbolic links and Unix file modes; it runs on Linux and macOS");
        }
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var current = PrepareRoot(root);
        var keys = payload.Keys.Where(IsValidKey).Order(StringComparer.Ordinal).ToList();
        var skipped = payload.Keys.Where(k => !IsValidKey(k)).Order(StringComparer.Ordinal).ToList();
        var previousKeys = current is null ? [] : KeysIn(Path.Combine(root, current));
        var removed = previousKeys.Except(keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        var swapped = current is null || removed.Count > 0 || keys.Any(k => Differs(Path.Combine(root, current, k), payload[k], fileMode));
        var dataFolder = current!;
        if (swapped)
        {
            dataFolder = WriteDataFolder(root, keys, payload, timestamp ?? DateTimeOffset.UtcNow, fileMode);
            SwapData(root, dataFolder);
        }

        var shadowed = new List<string>();
        foreach (var key in keys)
        {
            var link = Path.Combine(root, key);
            if (!EntryExists(link))
            {
                File.CreateSymbolicLink(link, UserLinkTarget(key));
            }
            else if (!IsUserLink(link, key))
            {
                shadowed.Add(key);
            }
        }
        foreach (var key in removed)
        {
            // Only this writer's own link: a file the user put there under a key's name is theirs.
            var link = Path.Combine(root, key);
            if (IsUserLink(link, key))
            {
                File.Delete(link);
            }
        }
        if (swapped)
        {
            RemoveStaleDataFolders(root, keep: dataFolder);
        }
        return new AtomicWriteResult(swapped, dataFolder, keys, skipped, removed, shadowed);
    }

    /// <summary>
    /// Whether the kubelet would write a file under this key: a Secret or ConfigMap key's characters
    /// (<c>[-._a-zA-Z0-9]</c>, at most 253), and not <c>.</c>, <c>..</c> or anything starting with <c>..</c>, which is
    /// where <c>..data</c> and the timestamped folders live. A key that fails is skipped, never written.
    /// </summary>
    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= 253 && KeyCharacters().IsMatch(key) && key != "." && !key.StartsWith("..", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="directory"/> is already a kubelet-style mount (has <c>..data</c>).</summary>
    public static bool IsMount(string directory) => EntryExists(Path.Combine(directory, DataLink));

    /// <summary>The target of <c>..data</c>, or null when there is none.</summary>
    public static string? CurrentDataFolder(string directory) => new FileInfo(Path.Combine(directory, DataLink)).LinkTarget;

    /// <summary>
    /// Why <see cref="Write"/> would refuse <paramref name="directory"/> (one line), or null when it may write there:
    /// the folder is missing, empty, or already a kubelet-style mount.
    /// </summary>
    public static string? Refusal(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(root))
        {
            return $"cannot mount into {root}: it is a file, not a folder";
        }
        if (!Directory.Exists(root))
        {
            return null;
        }
        if (NotOnlyOurs(root) is { } unsafeFolder)
        {
            return unsafeFolder;
        }
        var dataLink = Path.Combine(root, DataLink);
        if (EntryExists(dataLink))
        {
            // A dangling ..data (its folder deleted by hand) is still a mount: the next write puts a whole folder back.
            return new FileInfo(dataLink).LinkTarget is { } target && IsDataFolderName(target)
                ? null
                : $"cannot mount into {root}: its {DataLink} is not a link to a timestamped data folder";
        }
        // Leftovers of a first write that stopped before its swap are ours; anything else is the user's.
        return Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Any(name => name != NewDataLink && !IsDataFolderName(name!))
            ? $"refusing to mount into {root}: it is not empty and has no {DataLink}, so it is not a Sigil or kubelet mount; give a new or empty folder"
            : null;
    }

    /// <summary>
    /// Another local user who may write the folder (or owns it, e.g. pre-created under /tmp) could repoint <c>..data</c>
    /// at files of their choosing after we wrote it. The mode says who may write; ownership is tested with chmod to the
    /// same mode, which only the owner (or root, who is trusted anyway) may do: .NET has no stat for the owner.
    /// </summary>
    private static string? NotOnlyOurs(string root)
    {
        var mode = File.GetUnixFileMode(root);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            return $"refusing to mount into {root}: it is writable by {((mode & UnixFileMode.OtherWrite) != 0 ? "others" : "its group")} (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}), who could repoint its {DataLink}; give a folder only you can write (chmod go-w)";
        }
        try
        {
            File.SetUnixFileMode(root, mode);
        }
        catch (UnauthorizedAccessException)
        {
            return $"refusing to mount into {root}: it belongs to another user, who could repoint its {DataLink}; give a folder of your own";
        }
        return null;
    }

    /// <summary>The folder as it should be written to (created when missing), and its current data folder if any.</summary>
    private static string? PrepareRoot(string root)
    {
        if (Refusal(root) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(root)!);
            Directory.CreateDirectory(root, NewRootMode);
            File.SetUnixFileMode(root, NewRootMode);
            return null;
        }
        return CurrentDataFolder(root) is { } current && Directory.Exists(Path.Combine(root, current)) ? current : null;
    }

    private static string WriteDataFolder(string root, List<string> keys, IReadOnlyDictionary<string, byte[]> payload, DateTimeOffset timestamp, UnixFileMode fileMode)
    {
        var name = FreeDataFolderName(root, timestamp);
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder, NewRootMode);
        foreach (var key in keys)
        {
            // Created with its final mode's owner bits from the first byte: key material is never briefly world-readable.
            using (var stream = new FileStream(Path.Combine(folder, key), new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = fileMode & SecretFileMode,
            }))
            {
                stream.Write(payload[key]);
                stream.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(Path.Combine(folder, key), fileMode);
        }
        File.SetUnixFileMode(folder, DataFolderMode);
        return name;
    }

    /// <summary><c>..data_tmp -> name</c>, renamed over <c>..data</c>: rename(2) replaces the link itself, atomically.</summary>
    private static void SwapData(string root, string dataFolder)
    {
        var newLink = Path.Combine(root, NewDataLink);
        if (EntryExists(newLink))
        {
            File.Delete(newLink);
        }
        File.CreateSymbolicLink(newLink, dataFolder);
        // File.Move cannot do this: it follows the link, finds a folder, and reports the file missing.
        if (Native.rename(newLink, Path.Combine(root, DataLink)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"could not rename {newLink} over {DataLink}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    private static void RemoveStaleDataFolders(string root, string keep)
    {
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(folder);
            if (name != keep && IsDataFolderName(name) && new DirectoryInfo(folder).LinkTarget is null)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary><c>..yyyy_MM_dd_HH_mm_ss.</c> and nine digits of the second (the next free number when taken).</summary>
    private static string FreeDataFolderName(string root, DateTimeOffset timestamp)
    {
        var utc = timestamp.UtcDateTime;
        var prefix = ".." + utc.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + ".";
        for (var fraction = utc.Ticks % TimeSpan.TicksPerSecond * 100; ; fraction = (fraction + 1) % 1_000_000_000)
        {
            var name = prefix + fraction.ToString("D9", CultureInfo.InvariantCulture);
            if (!EntryExists(Path.Combine(root, name)))
            {
                return name;
            }
        }
    }

    private static bool IsDataFolderName(string name) => DataFolderName().IsMatch(name);

    private static List<string> KeysIn(string dataFolder) =>
        [.. Directory.EnumerateFileSystemEntries(dataFolder).Select(p => Path.GetFileName(p)!)];

    private static bool Differs(string path, byte[] content, UnixFileMode fileMode)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length != content.Length || info.UnixFileMode != fileMode)
        {
            return true;
        }
        return !File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
    }

    private static string UserLinkTarget(string key) => $"{DataLink}/{key}";

    private static bool IsUserLink(string path, string key) => new FileInfo(path).LinkTarget == UserLinkTarget(key);

    /// <summary>Whether anything is at <paramref name="path"/>, a dangling link included (File.Exists follows links).</summary>
    private static bool EntryExists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex KeyCharacters();

    [GeneratedRegex(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$")]
    private static partial Regex DataFolderName();

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
    }
}
