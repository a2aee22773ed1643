namespace Sigil.Client.Mounting;

/// <summary>How a <see cref="CredentialSource{T}"/> notices that its folder changed.</summary>
public sealed class CredentialSourceOptions
{
    /// <summary>
    /// How often the folder is checked even when no file-system event arrived. A kubelet swap renames a symlink,
    /// which file watchers report unreliably (not at all on some file systems), so polling is what guarantees a reload;
    /// a check reads one symlink and costs next to nothing. Default 2 s.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether to also react to file-system events at once (default true). Polling runs either way.</summary>
    public bool WatchFileSystem { get; init; } = true;

    /// <summary>The clock for polling; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "PollInterval must be positive.");
        }
    }
}
