using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary><c>sigil run</c> given input it cannot use: one line saying what to change, no stack trace.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task A_missing_kubeconfig_is_one_line_naming_the_file_and_how_to_give_one()
    {
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-kubeconfig-{Guid.NewGuid():N}");

        var result = await ProcessRunner.RunAsync("dotnet", [sigil, "run", "--kubeconfig", missing, "--metrics-port", "0", "--health-port", "0"]);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(missing, error, StringComparison.Ordinal);
        Assert.Contains("--kubeconfig", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--ca-ttl", "2m", "--bundle-propagation", "30s" }, "--ca-ttl 2m must be at least 6 x --bundle-propagation (30s)")]
    [InlineData(new[] { "--ca-ttl", "one-year" }, "--ca-ttl \"one-year\" is not a duration")]
    [InlineData(new[] { "--ca-secret", "sigil-ca-trust" }, "--ca-secret must not be sigil-ca-trust")]
    public async Task Flags_that_cannot_work_together_are_refused_at_start_saying_why(string[] flags, string expected)
    {
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");

        var result = await ProcessRunner.RunAsync("dotnet", [sigil, "run", "--metrics-port", "0", "--health-port", "0", .. flags]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Output, StringComparison.Ordinal);
    }
}
