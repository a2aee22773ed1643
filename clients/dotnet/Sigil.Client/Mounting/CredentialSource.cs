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
            _watcher = new FileSystemWatcher(Directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite };
            _watcher.Created += (_, _) => Reload();
            _watcher.Changed += (_, _) => Reload();
            _watcher.Renamed += (_, _) => Reload();
            _watcher.Deleted += (_, _) => Reload();
            _watcher.EnableRaisingEvents = true;
        }
        _poll = _options.TimeProvider.CreateTimer(_ => Reload(), null, _options.PollInterval, _options.PollInterval);
    }

    /// <summary>The folder this source follows.</summary>
    public string Directory { get; }

    /// <summary>The current credential: the last whole, valid version read.</summary>
    public T Current => Volatile.Read(ref _current);

    /// <summary>When the last reload attempt failed, why (a file missing, a key that does not match); null once one succeeds.</summary>
    public SigilCredentialException? LastError { get; private set; }

    /// <summary>Raised after <see cref="Current"/> changed, with the new value. Handlers must not block.</summary>
    public event EventHandler<T>? Changed;

    /// <summary>Raised when a changed folder held no valid credential; <see cref="Current"/> keeps the last good one.</summary>
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
                if (snapshot.Version == _version)
                {
                    return false;
                }
                var parsed = ParseOrExplain(snapshot);
                _version = snapshot.Version;
                Volatile.Write(ref _current, parsed);
                LastError = null;
                changed = parsed;
            }
            catch (SigilCredentialException e)
            {
                LastError = failure = e;
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
