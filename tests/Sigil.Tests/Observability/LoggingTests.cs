using System.Globalization;
using Microsoft.Extensions.Logging;
using Sigil.Observability;

namespace Sigil.Tests.Observability;

public sealed class LoggingTests
{
    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void A_time_in_a_log_line_is_ISO_8601_in_UTC_whatever_the_culture(string format)
    {
        var culture = CultureInfo.CurrentCulture;
        using var output = new StringWriter();
        try
        {
            // A culture whose "G" pattern puts the day first and uses dots: what the machine's culture would print.
            CultureInfo.CurrentCulture = CultureInfo.CreateSpecificCulture("de-DE");
            using (var loggers = Logging.Create(format, output))
            {
                loggers.CreateLogger("test").LogInformation("Signing CA expires {NotAfter}", new DateTimeOffset(2026, 12, 1, 3, 33, 43, TimeSpan.FromHours(2)));
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        var line = output.ToString();
        Assert.Contains("2026-12-01T01:33:43Z", line, StringComparison.Ordinal);
        Assert.DoesNotContain("01.12.2026", line, StringComparison.Ordinal);
        Assert.DoesNotContain("12/01/2026", line, StringComparison.Ordinal);
        if (format == "text")
        {
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z INF ", line);
        }
    }
}
