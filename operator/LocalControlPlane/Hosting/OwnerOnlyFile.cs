using System.Security.Cryptography;
using System.Text;

namespace Sigil.LocalControlPlane.Hosting;

/// <summary>
/// Writes a file only its owner may read or write (0600) from its first byte, for the kubeconfigs that hold
/// bearer tokens. The content goes into a temporary file created 0600 beside the target, which is then renamed
/// over it: no one sees the new content under wider permissions, not even for a moment, and a reader who had
/// opened an earlier, wider file keeps reading the old content. A folder it has to create is 0700.
/// </summary>
internal static class OwnerOnlyFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static Task WriteAsync(string path, string content, CancellationToken ct) =>
        WriteAsync(path, (stream, token) => stream.WriteAsync(Encoding.UTF8.GetBytes(content), token).AsTask(), ct);

    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target)!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        // CreateNew fails on anything already there, so a planted file or symlink is never written through.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerReadWrite | UnixFileMode.UserExecute);
            options.UnixCreateMode = OwnerReadWrite;
        }
        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // The umask can only have narrowed the mode; make it exactly 0600 so the owner can rewrite it.
                    File.SetUnixFileMode(stream.SafeFileHandle, OwnerReadWrite);
                }
                await write(stream, ct);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
