using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Tables;

namespace Sigil.LocalControlPlane.Tests.Tables;

public sealed class TableFormattingTests
{
    [Theory]
    [InlineData(45, "45s")]
    [InlineData(119, "119s")]
    [InlineData(192, "3m12s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 60, "3h1m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(3 * 86400 + 7200, "3d2h")]
    [InlineData(40 * 86400, "40d")]
    [InlineData(3 * 365 * 86400, "3y")]
    [InlineData(-5, "<invalid>")]
    public void Ages_read_like_kubectls(int seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(".spec.size", "3")]
    [InlineData("{.spec.size}", "3")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "True")]
    [InlineData(".status.conditions[?(@.type=='Issued')].reason", "Done")]
    [InlineData(".status.conditions[0].type", "Issued")]
    [InlineData(".status.conditions[-1].type", "Ready")]
    [InlineData(".spec.tags[*]", "a")]
    [InlineData(".spec.missing", null)]
    public void Printer_column_paths_find_their_value(string path, string? expected)
    {
        var obj = JsonNode.Parse("""
            {"spec":{"size":3,"tags":["a","b"]},
             "status":{"conditions":[{"type":"Issued","reason":"Done"},{"type":"Ready","status":"True"}]}}
            """)!;

        var found = JsonPathLite.Evaluate(obj, path);

        Assert.Equal(expected, found.Count == 0 ? null : found[0].ToJsonString().Trim('"'));
    }
}
