namespace Sigil.Client.Mounting;

/// <summary>
/// A credential read from a mounted folder and kept current: <see cref="Current"/> is always a whole, valid version.
/// When the folder changes (the kubelet's <c>..data</c> swap), the new version is parsed and, only if it is valid,
/// replaces the old one and <see cref="Changed"/> fires. An invalid or half-present version (a key briefly missing)
/// leaves the last good one in place and is retried at the next check.
/// </summary>
/// <typeparam name="T">The parsed credential.</typeparam>
public abstract class CredentialSource<T> : IDisposable where T : class
{
    private readonly Lock _reloading = new();
    private readonly CredentialSourceOptions _options;
    private readonly ITimer _poll;
    private readonly FileSystemWatcher? _watcher;
    private string _version;
    private string? _failedVersion;
    private T _current;
    private bool _disposed;

    /// <summary>Reads <paramref name="directory"/> once and starts following it.</summary>
    /// <exception cref="SigilCredentialException">The folder does not hold a valid credential now.</exception>
    protected CredentialSource(string directory, CredentialSourceOptions? options)
    {
        _options = options ?? new CredentialSourceOptions();
        _options.Validate();
        Directory = Path.GetFullPath(directory);
        var snapshot = MountedFolder.Read(Directory);
        _current = ParseOrExplain(snapshot);
        _version = snapshot.Version;
        if (_options.WatchFileSystem)
        {
            _watcher = TryWatch(Directory);
        }
        _poll = _options.TimeProvider.CreateTimer(_ => ReloadInBackground(), null, _options.PollInterval, _options.PollInterval);
    }

    private FileSystemWatcher? TryWatch(string directory)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite };
            watcher.Created += (_, _) => ReloadInBackground();
            watcher.Changed += (_, _) => ReloadInBackground();
            watcher.Renamed += (_, _) => ReloadInBackground();
            watcher.Deleted += (_, _) => ReloadInBackground();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // inotify instances are limited per user (128 by default on Linux): past the limit, polling alone still reloads.
            return null;
        }
    }

    // The timer and the watcher call this on pool threads, where an exception would end the process: a handler of
    // Changed or ReloadFailed that throws loses only its own notification.
    private void ReloadInBackground()
    {
        try
        {
            Reload();
        }
#pragma warning disable CA1031 // See above: nothing on a timer thread may throw.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    /// <summary>The folder this source follows.</summary>
    public string Directory { get; }

    /// <summary>The current credential: the last whole, valid version read.</summary>
    public T Current => Volatile.Read(ref _current);

    /// <summary>When the last reload attempt failed, why (a file missing, a key that does not match); null once one succeeds.</summary>
    public SigilCredentialException? LastError { get; private set; }

    /// <summary>
    /// Raised after <see cref="Current"/> changed, with the new value. Handlers must not block. Two changes in quick
    /// succession may be reported out of order: read <see cref="Current"/> for the latest.
    /// </summary>
    public event EventHandler<T>? Changed;

    /// <summary>
    /// Raised when a changed folder held no valid credential (once per broken version); <see cref="Current"/> keeps the
    /// last good one.
    /// </summary>
    public event EventHandler<SigilCredentialException>? ReloadFailed;

    /// <summary>
    /// Checks the folder now and takes a new valid version. Returns true when <see cref="Current"/> changed. Called by
    /// the poll timer and the file watcher; callers may call it too (it is cheap when nothing changed).
    /// </summary>
    public bool Reload()
    {
        T? changed = null;
        SigilCredentialException? failure = null;
        lock (_reloading)
        {
            if (_disposed)
            {
                return false;
            }
            try
            {
                var snapshot = MountedFolder.Read(Directory);
                if (snapshot.Version == _version || snapshot.Version == _failedVersion)
                {
                    // Unchanged, or the same broken version as last time (already reported): nothing to do until it moves.
                    return false;
                }
                try
                {
                    var parsed = ParseOrExplain(snapshot);
                    _version = snapshot.Version;
                    _failedVersion = null;
                    Volatile.Write(ref _current, parsed);
                    LastError = null;
                    changed = parsed;
                }
                catch (SigilCredentialException)
                {
                    _failedVersion = snapshot.Version;
                    throw;
                }
            }
            catch (SigilCredentialException e)
            {
                LastError = failure = e;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LastError = failure = new SigilCredentialException($"{Directory} could not be read: {e.GetType().Name}.");
            }
        }
        if (changed is not null)
        {
            Changed?.Invoke(this, changed);
            return true;
        }
        if (failure is not null)
        {
            ReloadFailed?.Invoke(this, failure);
        }
        return false;
    }

    /// <summary>
    /// Turns a snapshot into the credential, or throws <see cref="SigilCredentialException"/> naming the file and the
    /// problem (never the key material).
    /// </summary>
    protected abstract T Parse(FolderSnapshot snapshot);

    private T ParseOrExplain(FolderSnapshot snapshot)
    {
        try
        {
            return Parse(snapshot);
        }
        catch (SigilCredentialException)
        {
            throw;
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException or System.Text.Json.JsonException)
        {
            // The inner exception is dropped: parsers of keys may quote what they could not read.
            throw new SigilCredentialException($"{Directory} does not hold a valid {typeof(T).Name}: {e.GetType().Name}.");
        }
    }

    /// <summary>Stops following the folder.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops following the folder.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        lock (_reloading)
        {
            _disposed = true;
        }
        _poll.Dispose();
        _watcher?.Dispose();
    }
}
