using Microsoft.Extensions.Hosting;

namespace Sigil.Observability;

/// <summary>
/// The lifetime for web servers embedded in the program (the API emulator, metrics, health). The default
/// console lifetime would take SIGTERM and Ctrl-C for itself and keep the process running; with this one the
/// signals reach the command, which stops everything in order.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
