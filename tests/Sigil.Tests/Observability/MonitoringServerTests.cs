using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Sigil.Observability;
using Sigil.Operator;

namespace Sigil.Tests.Observability;

/// <summary>
/// Who can reach metrics and health: under <c>sigil local</c> only this machine (a laptop on a café network must
/// not expose them); under <c>sigil run</c> every interface, because the kubelet probes the pod IP.
/// </summary>
public sealed class MonitoringServerTests
{
    [Fact]
    public async Task On_loopback_health_answers_on_127_0_0_1_and_the_machines_network_address_is_refused()
    {
        var network = NetworkAddress();
        await using var server = await MonitoringServer.StartAsync(IPAddress.Loopback, 0, MonitoringServer.Health(() => true, () => true), CancellationToken.None);
        using var http = new HttpClient();

        var local = await http.GetAsync($"http://127.0.0.1:{server.Port}/healthz");
        var remote = await ConnectAsync(network, server.Port);

        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(SocketError.ConnectionRefused, remote);
    }

    [Fact]
    public async Task By_default_as_sigil_run_listens_health_answers_on_the_machines_network_address()
    {
        var network = NetworkAddress();
        await using var server = await MonitoringServer.StartAsync(new OperatorOptions().MonitoringAddress, 0, MonitoringServer.Health(() => true, () => true), CancellationToken.None);
        using var http = new HttpClient();

        var probe = await http.GetAsync($"http://{network}:{server.Port}/healthz");

        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    /// <summary>An IPv4 address of this machine other than loopback, as a neighbour on its network would dial it.</summary>
    internal static IPAddress NetworkAddress()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(address is null, "this machine has no non-loopback IPv4 address to dial");
        return address!;
    }

    /// <summary>Success, or why a TCP connection to the address failed.</summary>
    internal static async Task<SocketError> ConnectAsync(IPAddress address, int port)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await tcp.ConnectAsync(address, port, timeout.Token);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
