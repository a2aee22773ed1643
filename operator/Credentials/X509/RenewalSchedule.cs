using System.Security.Cryptography;
using System.Text;

namespace Sigil.Credentials.X509;

/// <summary>
/// When a certificate renews: at notAfter - renewBefore, pulled earlier by a jitter of at most
/// min(5% of renewBefore, 5 minutes), never later. The jitter is derived from the certificate's serial
/// number, so every pass (and every replica) computes the same time for the same certificate: status
/// does not flap and there is nothing to write while nothing is due.
/// </summary>
internal static class RenewalSchedule
{
    public static readonly TimeSpan MaxJitter = TimeSpan.FromMinutes(5);

    public static TimeSpan JitterBound(TimeSpan renewBefore) =>
        TimeSpan.FromTicks(Math.Min(renewBefore.Ticks / 20, MaxJitter.Ticks));

    public static DateTimeOffset RenewalTime(DateTimeOffset notAfter, TimeSpan renewBefore, string serialNumber)
    {
        var bound = JitterBound(renewBefore);
        var jitter = TimeSpan.FromTicks((long)(bound.Ticks * Fraction(serialNumber)));
        return Api.Timestamps.ToSecond(notAfter - renewBefore - jitter);
    }

    /// <summary>A number in [0, 1] derived from a certificate's serial: its place in a jitter or spread window.</summary>
    public static double Fraction(string serialNumber) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.ASCII.GetBytes(serialNumber)), 0) / (double)uint.MaxValue;
}
