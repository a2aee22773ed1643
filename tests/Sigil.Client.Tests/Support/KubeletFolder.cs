using System.Text;
using Sigil.Mount;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// A temporary folder updated the way the kubelet updates a Secret volume, by <c>sigil mount</c>'s own
/// <see cref="AtomicWriter"/>: each version in a new hidden timestamped folder, <c>..data</c> swapped to it in one
/// rename(2), a link per key, then the previous version removed.
/// </summary>
internal sealed class KubeletFolder : IDisposable
{
    public KubeletFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sigil-client-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Write(IReadOnlyDictionary<string, string> files) => WriteTo(Path, files);

    public void Write(IReadOnlyDictionary<string, byte[]> files) => AtomicWriter.Write(Path, files);

    /// <summary>Swaps <paramref name="directory"/> (created when missing) to hold exactly <paramref name="files"/>.</summary>
    public static void WriteTo(string directory, IReadOnlyDictionary<string, string> files) =>
        AtomicWriter.Write(directory, files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value)));

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
}
