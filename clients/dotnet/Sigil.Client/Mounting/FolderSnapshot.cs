using System.Security.Cryptography;

namespace Sigil.Client.Mounting;

/// <summary>
/// The files of a mounted Secret or ConfigMap as they were at one moment: never a mix of two versions when the folder
/// is kept by the kubelet (or <c>sigil mount</c>), whose <c>..data</c> link is swapped atomically.
/// </summary>
/// <param name="Directory">The folder that was read.</param>
/// <param name="Version">Changes whenever the content may have changed: the <c>..data</c> target, or a content hash.</param>
/// <param name="Files">File name to content.</param>
public sealed record FolderSnapshot(string Directory, string Version, IReadOnlyDictionary<string, byte[]> Files)
{
    /// <summary>The content of <paramref name="name"/>, or a <see cref="SigilCredentialException"/> that names the file.</summary>
    public byte[] Require(string name, string whatItHolds) =>
        Files.TryGetValue(name, out var content)
            ? content
            : throw new SigilCredentialException($"{Path.Combine(Directory, name)} is missing: expected {whatItHolds}.");

    /// <summary>The content of <paramref name="name"/> as UTF-8 text, or a <see cref="SigilCredentialException"/>.</summary>
    public string RequireText(string name, string whatItHolds) => System.Text.Encoding.UTF8.GetString(Require(name, whatItHolds));

    /// <summary>The content of <paramref name="name"/> as UTF-8 text, or null when the folder has no such file.</summary>
    public string? OptionalText(string name) =>
        Files.TryGetValue(name, out var content) ? System.Text.Encoding.UTF8.GetString(content) : null;
}

/// <summary>Reads a folder the way the kubelet's atomic writer lays it out.</summary>
public static class MountedFolder
{
    /// <summary>The symlink the kubelet swaps atomically; it points at a hidden timestamped folder holding every file.</summary>
    public const string DataLink = "..data";

    private const int Attempts = 8;

    /// <summary>
    /// Reads every file of <paramref name="directory"/>. In a kubelet-style folder the files are read from the folder
    /// <c>..data</c> points at, and the link is checked again afterwards: if it moved in the meantime (a swap in the
    /// middle of the read), the read starts over, so the result is always one whole version. A plain folder is read
    /// directly (nothing makes it atomic; the parser of each credential checks that its parts match).
    /// </summary>
    /// <exception cref="SigilCredentialException">The folder does not exist, or kept changing under every attempt.</exception>
    public static FolderSnapshot Read(string directory)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (!System.IO.Directory.Exists(directory))
            {
                throw new SigilCredentialException($"{directory} does not exist: mount the Secret there (in a pod, a volume; on a laptop, `sigil mount`).");
            }
            var link = Path.Combine(directory, DataLink);
            var target = LinkTarget(link);
            try
            {
                if (target is null)
                {
                    var files = ReadFiles(directory);
                    return new FolderSnapshot(directory, ContentVersion(files), files);
                }
                var snapshot = ReadFiles(Path.Combine(directory, target));
                if (LinkTarget(link) == target)
                {
                    return new FolderSnapshot(directory, target, snapshot);
                }
            }
            catch (IOException)
            {
                // The timestamped folder was removed after a swap while we read it: read the new one.
            }
        }
        throw new SigilCredentialException($"{directory} changed under every one of {Attempts} reads in a row; try again.");
    }

    private static string? LinkTarget(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Dictionary<string, byte[]> ReadFiles(string folder)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in System.IO.Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(path);
            // The kubelet's own bookkeeping (..data, ..2026_...) is hidden behind a leading "..".
            if (!name.StartsWith("..", StringComparison.Ordinal))
            {
                files[name] = File.ReadAllBytes(path);
            }
        }
        return files;
    }

    private static string ContentVersion(Dictionary<string, byte[]> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            hash.AppendData(BitConverter.GetBytes(content.Length));
            hash.AppendData(content);
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
