using System.Runtime.InteropServices;
using System.Text;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// A folder updated the way the kubelet updates a Secret volume: each version in a new hidden timestamped folder,
/// <c>..data_tmp</c> linked to it and renamed over <c>..data</c> (the one atomic step), a link per key
/// (<c>key -> ..data/key</c>), then the previous version removed.
/// Stand-in until Sigil.Mount.AtomicWriter (branch mount) is merged; then these tests use it instead.
/// </summary>
internal sealed class KubeletFolder : IDisposable
{
    private static int s_sequence;
    private string? _current;

    public KubeletFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sigil-client-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Write(IReadOnlyDictionary<string, string> files) =>
        Write(files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value)));

    public void Write(IReadOnlyDictionary<string, byte[]> files)
    {
        var version = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Interlocked.Increment(ref s_sequence):D9}";
        var folder = System.IO.Path.Combine(Path, version);
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in files)
        {
            File.WriteAllBytes(System.IO.Path.Combine(folder, name), content);
        }
        var temporary = System.IO.Path.Combine(Path, "..data_tmp");
        File.Delete(temporary);
        File.CreateSymbolicLink(temporary, version);
        // File.Move follows a link to a folder and reports it missing: rename(2) replaces the link itself, atomically.
        if (rename(temporary, System.IO.Path.Combine(Path, "..data")) != 0)
        {
            throw new IOException($"rename failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        foreach (var name in files.Keys)
        {
            var link = System.IO.Path.Combine(Path, name);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, System.IO.Path.Combine("..data", name));
            }
        }
        foreach (var stale in Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName))
        {
            if (!stale!.StartsWith("..", StringComparison.Ordinal) && !files.ContainsKey(stale))
            {
                File.Delete(System.IO.Path.Combine(Path, stale));
            }
        }
        if (_current is not null)
        {
            Directory.Delete(System.IO.Path.Combine(Path, _current), recursive: true);
        }
        _current = version;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054, CA5392, CA2101 // A test helper; LibraryImport would need unsafe code for one call.
    private static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
#pragma warning restore SYSLIB1054, CA5392, CA2101
}
