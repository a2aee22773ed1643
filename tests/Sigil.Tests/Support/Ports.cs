using System.Net;
using System.Net.Sockets;

namespace Sigil.Tests.Support;

internal static class Ports
{
    /// <summary>A TCP port free at this moment (bound and released), for a program that takes its ports as flags.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
