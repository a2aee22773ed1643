using Sigil.Credentials;

namespace Sigil.Tests.Credentials;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("720h", 720 * 3600)]
    public void Durations_read_like_Go_durations(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }
}
