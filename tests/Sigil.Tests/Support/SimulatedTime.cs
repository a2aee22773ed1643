using Sigil.LocalControlPlane;
using Sigil.Operator;

namespace Sigil.Tests.Support;

/// <summary>For simulated-clock tests: let the operator finish what the last advance of the clock made due.</summary>
internal static class SimulatedTime
{
    /// <summary>Waits until the operator has nothing queued and has sent no request for a moment (real time).</summary>
    public static async Task SettleAsync(OperatorHost host, LocalCluster local)
    {
        var quietSince = DateTime.UtcNow;
        var seen = local.Requests.All.Count;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            var count = local.Requests.All.Count;
            if (count != seen || host.QueueDepth > 0)
            {
                (seen, quietSince) = (count, DateTime.UtcNow);
            }
            else if (DateTime.UtcNow - quietSince > TimeSpan.FromMilliseconds(300))
            {
                return;
            }
        }
    }
}
