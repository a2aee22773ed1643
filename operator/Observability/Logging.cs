using System.Globalization;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace Sigil.Observability;

/// <summary>Serilog to the console, as text or compact JSON (--log-format), with log scopes as properties.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(string format, TextWriter? output = null)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.With<Iso8601Times>();
        ITextFormatter formatter = format == "json"
            ? new CompactJsonFormatter()
            : new MessageTemplateTextFormatter("{UtcTimestamp:yyyy-MM-ddTHH:mm:ss.fffZ} {Level:u3} {Message:lj} {Properties:j}{NewLine}{Exception}", CultureInfo.InvariantCulture);
        configuration = output is null ? configuration.WriteTo.Console(formatter) : configuration.WriteTo.Sink(new WriterSink(formatter, output));
        return new SerilogLoggerFactory(configuration.CreateLogger(), dispose: true);
    }

    /// <summary>
    /// Times in log lines are ISO 8601 in UTC (2026-12-01T01:33:43Z), whatever the machine's culture and zone: a
    /// property rendered with the culture's "G" pattern reads 12/01/2026 in one place and 01.12.2026 in another.
    /// The line's own timestamp is UTC for the same reason.
    /// </summary>
    private sealed class Iso8601Times : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        {
            foreach (var (name, value) in logEvent.Properties.ToList())
            {
                var iso = value is ScalarValue { Value: var scalar } ? scalar switch
                {
                    DateTimeOffset time => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    DateTime time => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    _ => null,
                } : null;
                if (iso is not null)
                {
                    logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(iso)));
                }
            }
        }
    }

    /// <summary>Log lines into a writer of the caller's (tests read them).</summary>
    private sealed class WriterSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => formatter.Format(logEvent, output);
    }
}
