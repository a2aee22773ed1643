using System.CommandLine;
using System.Reflection;
using System.Text.Json.Serialization;
using Sigil.Cli.Day2;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>docs/cli.md stays in step with the commands: every flag, every output field, every exit code is documented.</summary>
public sealed class CliDocsTests
{
    private static readonly string Docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "cli.md"));

    private static IEnumerable<Command> All(Command command) => [command, .. command.Subcommands.SelectMany(All)];

    public static TheoryData<string> Flags => [.. Day2Commands.Create().SelectMany(All).SelectMany(c => c.Options).Select(o => o.Name).Where(n => n != "--help").Distinct()];

    [Theory]
    [MemberData(nameof(Flags))]
    public void Every_flag_is_documented(string flag) => Assert.Contains($"`{flag}", Docs, StringComparison.Ordinal);

    private static IEnumerable<string> Leaves(Command command, string prefix) => command.Subcommands.Count == 0
        ? [prefix + command.Name]
        : command.Subcommands.SelectMany(s => Leaves(s, prefix + command.Name + " "));

    [Fact]
    public void Every_command_has_a_section_of_its_own()
    {
        var leaves = Day2Commands.Create().SelectMany(c => Leaves(c, "")).ToList();

        Assert.Equal(["status", "rotate", "inspect secret", "ca status", "ca rotate"], leaves);
        Assert.All(leaves, c => Assert.Contains($"`sigil {c}", Docs, StringComparison.Ordinal));
    }

    private static readonly Type[] Reports =
    [
        typeof(StatusReport), typeof(IdentityRow), typeof(CredentialRow), typeof(AuthorityReport), typeof(CaEntry), typeof(JwtKeyEntry),
        typeof(SecretReport), typeof(X509Facts), typeof(ApiKeyFacts), typeof(VerifierFacts), typeof(JwtFacts), typeof(OAuth2Facts), typeof(ClientSecretFacts),
        typeof(RotationReport), typeof(RotationRow), typeof(CaRotationReport),
    ];

    public static TheoryData<string, string> Fields => [.. Reports.SelectMany(t => t.GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name).OfType<string>().Select(n => (t.Name, n)))];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Every_json_and_yaml_field_is_documented(string report, string field) =>
        Assert.True(Docs.Contains($"`{field}`", StringComparison.Ordinal) || Docs.Contains($".{field}`", StringComparison.Ordinal) || Docs.Contains($"{field}[]`", StringComparison.Ordinal),
            $"{report}.{field} is not in docs/cli.md");

    public static TheoryData<string, int> Codes => [.. typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (f.Name, (int)f.GetRawConstantValue()!))];

    [Theory]
    [MemberData(nameof(Codes))]
    public void Every_exit_code_is_documented(string name, int code) =>
        Assert.True(Docs.Contains($"\n| {code} | ", StringComparison.Ordinal), $"exit code {code} ({name}) is not in docs/cli.md");
}
