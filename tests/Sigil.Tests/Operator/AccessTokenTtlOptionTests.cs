using System.CommandLine;
using Sigil.Cli;
using Sigil.Operator;

namespace Sigil.Tests.Operator;

/// <summary>--access-token-ttl: read as the other durations are, and refused at start when no key could verify its tokens to the end.</summary>
public sealed class AccessTokenTtlOptionTests
{
    private static OperatorOptions Parse(params string[] args)
    {
        var flags = new OperatorFlags();
        var command = new RootCommand();
        flags.AddTo(command);
        var result = command.Parse(args);
        Assert.Empty(result.Errors);
        return flags.Read(result);
    }

    [Fact]
    public void Access_tokens_live_15_minutes_unless_the_flag_says_otherwise()
    {
        Assert.Equal(TimeSpan.FromMinutes(15), Parse().AccessTokenTtl);
        Assert.Equal(TimeSpan.FromMinutes(5), Parse("--access-token-ttl", "5m").AccessTokenTtl);
        Assert.Null(Parse("--access-token-ttl", "24h").Problem());
    }

    [Theory]
    [InlineData("zero", "0s")]
    [InlineData("longer than a retired JWT key stays published", "25h")]
    public void An_access_token_ttl_that_cannot_be_honoured_is_refused_naming_the_flag(string sentence, string ttl)
    {
        var problem = Parse("--access-token-ttl", ttl).Problem();

        Assert.True(problem is not null && problem.Contains("--access-token-ttl", StringComparison.Ordinal), $"{sentence}: {problem}");
    }
}
