using System.Text.Json;
using Sigil.Cli.Day2;

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
        Assert.Contains("notAfter: 2026-12-02T12:00:00Z", yaml, StringComparison.Ordinal);
        // A serial number that looks like a number stays a string in YAML.
        Assert.Contains("serialNumber: \"01\"", yaml, StringComparison.Ordinal);
        Assert.Contains("since:", yaml, StringComparison.Ordinal);
    }
}
