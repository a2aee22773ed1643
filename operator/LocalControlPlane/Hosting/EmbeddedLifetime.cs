using Microsoft.Extensions.Hosting;

namespace Sigil.LocalControlPlane.Hosting;

/// <summary>
/// The emulator runs inside a process that owns Ctrl-C and SIGTERM (<c>sigil local</c>, a test host); the default
/// console lifetime would take them over.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
