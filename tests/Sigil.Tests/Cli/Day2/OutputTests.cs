using System.Text.Json;
using System.Text.Json.Nodes;
using Sigil.Cli.Day2;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>How times, tables and the machine formats read (pure).</summary>
public sealed class OutputTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, TimeSpan, string> RelativeTimes => new()
    {
        { "a time 5 hours ahead reads in hours", TimeSpan.FromHours(5), "in 5h" },
        { "a time 90 seconds ago reads in seconds", TimeSpan.FromSeconds(-90), "90s ago" },
        { "a time 45 minutes ahead reads in minutes", TimeSpan.FromMinutes(45), "in 45m" },
        { "a year ahead reads in days, as kubectl's AGE does", TimeSpan.FromDays(364), "in 364d" },
        { "a time three years ahead reads in years", TimeSpan.FromDays(3 * 365 + 2), "in 3y" },
        { "now is in 0s", TimeSpan.Zero, "in 0s" },
    };

    [Theory]
    [MemberData(nameof(RelativeTimes))]
    public void Times_read_relative_to_now_like_kubectl(string because, TimeSpan offset, string expected) =>
        Assert.True(Output.Relative(Now + offset, Now) == expected, $"{because}: got {Output.Relative(Now + offset, Now)}");

    [Fact]
    public void Absolute_times_are_ISO_8601_in_UTC_to_the_second_whatever_the_offset_they_were_read_with()
    {
        var t = new DateTimeOffset(2026, 12, 1, 14, 30, 15, 500, TimeSpan.FromHours(2));

        Assert.Equal("2026-12-01T12:30:15Z", Output.Iso(t));
        Assert.Equal("2026-12-01T12:30:15Z (2h ago)", Output.Both(t, Now + TimeSpan.FromHours(3)));
        Assert.Equal("-", Output.Iso(null));
    }

    [Fact]
    public void A_table_pads_every_column_to_its_widest_cell_and_leaves_no_trailing_space()
    {
        var text = TextTable.Render(["NAME", "READY"], [["payments", "True"], ["a", "False"]]);

        Assert.Equal("NAME       READY\npayments   True\na          False\n", text);
    }

    [Fact]
    public void Json_and_yaml_carry_the_same_fields_with_nulls_kept_so_scripts_can_rely_on_every_field()
    {
        var report = new CaEntry("active", "CN=x", "01", "ab", Now, Now.AddDays(1), null);

        using var json = JsonDocument.Parse(Output.ToJson(report));
        var yaml = Output.ToYaml(report);

        Assert.Equal(["state", "subject", "serialNumber", "fingerprintSHA256", "notBefore", "notAfter", "since"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("since").ValueKind);
        Assert.Equal("2026-12-02T12:00:00Z", json.RootElement.GetProperty("notAfter").GetString());
        // Quoted, as kubectl quotes creationTimestamp: YAML 1.1 readers (PyYAML, Ruby) would read a timestamp.
        Assert.Contains("notAfter: \"2026-12-02T12:00:00Z\"", yaml, StringComparison.Ordinal);
        // A serial number that looks like a number stays a string in YAML.
        Assert.Contains("serialNumber: \"01\"", yaml, StringComparison.Ordinal);
        Assert.Contains("since:", yaml, StringComparison.Ordinal);
    }

    /// <summary>Strings a YAML reader would take for another type unless quoted, and strings that cannot be written plain.</summary>
    private static readonly string[] AwkwardStrings = ["01", "1e3", "0x1F", "0o17", ".5", "-.inf", ".NaN", "12:30", "yes", "No", "on", "OFF", "y", "true", "False",
        "null", "~", "", " leading space", "trailing space ", "a: b", "- item", "# comment", "{flow}", "[list]", "'single'", "\"double\"",
        "line\nbreak", "crlf\r\nline", "lone\rcr", "tab\there", "=", "<<", "2026-12-02T12:00:00Z", "2026-1-2 3:04:05.5 +01:00", "é ünïcode", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick", "key:", "?", "2026-12-02"];

    [Theory]
    [InlineData("1.2")]
    [InlineData("1.1")]
    public async Task A_yaml_parser_we_did_not_write_reads_the_yaml_as_the_same_document_as_the_json(string version)
    {
                var report = new AuthorityReport("ns", null, "yes", "01", [new CaEntry("active", "CN=x", "01", "ab", Now, Now.AddDays(1), null)],
            [.. AwkwardStrings.Select(s => new JwtKeyEntry(s, s, s, null, Now, null, null))], null);
        const string script = """
            import { parse } from 'yaml';
            let text = '';
            for await (const chunk of process.stdin) text += chunk;
            process.stdout.write(JSON.stringify(parse(text, { version: process.env.YAML_VERSION })));
            """;

        // YAML 1.1 (PyYAML, go-yaml v2, Ruby) also reads yes/no/on/off as booleans and timestamps as dates.
        var parsed = await NodePackages.RunScriptAsync(NodePackages.Yaml, script, Output.ToYaml(report), new Dictionary<string, string> { ["YAML_VERSION"] = version });

        Assert.True(parsed.ExitCode == 0, parsed.Output);
        var (json, yaml) = (JsonNode.Parse(Output.ToJson(report))!, JsonNode.Parse(parsed.Stdout)!);
        var differing = json["jwtKeys"]!.AsArray().Zip(yaml["jwtKeys"]!.AsArray()).Where(p => !JsonNode.DeepEquals(p.First, p.Second))
            .Select(p => $"{p.First!["kid"]!.ToJsonString()} read back as {p.Second?["kid"]?.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(json, yaml), $"YAML {version} read back differs from the JSON: {string.Join("; ", differing)}\n{Output.ToYaml(report)}");
    }

    [Theory]
    [InlineData("01")]
    [InlineData("1e3")]
    [InlineData("0x1F")]
    [InlineData("12:30")]
    [InlineData(".NaN")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("yes")]
    [InlineData("No")]
    [InlineData("on")]
    [InlineData("OFF")]
    [InlineData("y")]
    [InlineData("2026-12-02")]
    [InlineData("2026-12-02T12:00:00Z")]
    [InlineData("=")]
    public void A_string_that_yaml_1_1_or_1_2_would_read_as_a_boolean_null_or_number_is_quoted(string value)
    {
        // yes/no/on/off/y/n are booleans only to YAML 1.1 readers (PyYAML, go-yaml v2), which the parser above does not check.
        var line = Output.ToYaml(new CaEntry(value, "CN=x", "ab", "ab", Now, Now, null)).Split('\n')[0];

        Assert.Equal($"state: \"{value}\"", line);
    }
}
