namespace Sigil.Cli.Day2;

/// <summary>What the day-2 commands exit with (docs/cli.md lists them; scripts rely on them).</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done, and everything looked at is healthy.</summary>
    public const int Ok = 0;
    /// <summary>The command could not do its job: bad flags, no kubeconfig, the API refused or failed, the object does not exist.</summary>
    public const int Failed = 1;
    /// <summary>The command ran and found a problem: an identity that is not Ready, a chain that does not verify, a key that does not match.</summary>
    public const int Unhealthy = 2;
    /// <summary>--wait ran out of --timeout before the rotation showed.</summary>
    public const int TimedOut = 3;
}
