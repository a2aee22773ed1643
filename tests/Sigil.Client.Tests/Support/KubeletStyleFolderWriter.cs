using System.Runtime.InteropServices;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// Writes a folder as the kubelet's AtomicWriter does: the files into a new hidden <c>..&lt;timestamp&gt;</c> folder,
/// a <c>..data_tmp</c> symlink to it renamed over <c>..data</c> (one atomic swap), and one symlink per file through
/// <c>..data</c>. A stand-in until <c>sigil mount</c>'s AtomicWriter reaches main: switch the tests to it then.
/// </summary>
internal static class KubeletStyleFolderWriter
{
    public static void Write(string directory, IReadOnlyDictionary<string, string> files) =>
        Write(directory, files.ToDictionary(f => f.Key, f => System.Text.Encoding.UTF8.GetBytes(f.Value)));

    public static void Write(string directory, IReadOnlyDictionary<string, byte[]> files)
    {
        Directory.CreateDirectory(directory);
        var data = Path.Combine(directory, "..data");
        var previous = new FileInfo(data).LinkTarget;
        var version = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}{Random.Shared.Next():x8}";
        var versionFolder = Directory.CreateDirectory(Path.Combine(directory, version));
        foreach (var (name, content) in files)
        {
            File.WriteAllBytes(Path.Combine(versionFolder.FullName, name), content);
        }
        var temporary = Path.Combine(directory, "..data_tmp");
        File.Delete(temporary);
        File.CreateSymbolicLink(temporary, version);
        // rename(2) replaces the old link in one step; File.Move would refuse a destination that resolves to a folder.
        if (Rename(temporary, data) != 0)
        {
            throw new IOException($"rename {temporary} -> {data} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        foreach (var name in files.Keys)
        {
            var link = Path.Combine(directory, name);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, Path.Combine("..data", name));
            }
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            var name = Path.GetFileName(entry);
            if (!name.StartsWith("..", StringComparison.Ordinal) && !files.ContainsKey(name))
            {
                File.Delete(entry);
            }
        }
        if (previous is not null && previous != version)
        {
            Directory.Delete(Path.Combine(directory, previous), recursive: true);
        }
    }

    // The strings are marshalled as UTF-8 explicitly (LPUTF8Str), which CA2101 does not recognise.
#pragma warning disable CA2101
    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Rename([MarshalAs(UnmanagedType.LPUTF8Str)] string from, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);
#pragma warning restore CA2101
}
