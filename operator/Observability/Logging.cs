using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace Sigil.Observability;

/// <summary>Serilog to the console, as text or compact JSON (--log-format), with log scopes as properties.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(string format)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        configuration = format == "json"
            ? configuration.WriteTo.Console(new CompactJsonFormatter())
            : configuration.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj} {Properties:j}{NewLine}{Exception}");
        return new SerilogLoggerFactory(configuration.CreateLogger(), dispose: true);
    }
}
