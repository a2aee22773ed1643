using System.Text.RegularExpressions;
using Sigil.Credentials.ApiKeys;
using Sigil.Tests.Support;

namespace Sigil.Tests.Credentials.ApiKeys;

/// <summary>
/// A secret scanner finds Sigil keys with the pattern and checksum docs/api-key-format.md gives; both are taken from
/// that page and run (the checksum by Node's zlib, not by our code) over keys Sigil generates.
/// </summary>
public sealed partial class ApiKeyFormatTests
{
    private static string Doc => File.ReadAllText(Path.Combine(Repository.Root, "docs", "api-key-format.md"));

    private static string Fenced(string language) => FencePattern(language).Match(Doc).Groups[1].Value.Trim();

    private static Regex FencePattern(string language) => new($"```{language}\\n(.*?)```", RegexOptions.Singleline);

    [Fact]
    public void The_documented_pattern_matches_generated_keys_and_finds_them_inside_text()
    {
        var pattern = new Regex(Fenced("regex"));
        var keys = Enumerable.Range(0, 200).Select(_ => ApiKeyMaterial.New().Presented).ToList();

        Assert.All(keys, key => Assert.Equal(key, pattern.Match($"export TOKEN=\"{key}\"; # leaked").Value));
        Assert.Contains(pattern.ToString(), Fenced("toml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_documented_checksum_run_by_Node_accepts_generated_keys_and_refuses_a_changed_character()
    {
        var keys = Enumerable.Range(0, 50).Select(_ => ApiKeyMaterial.New().Presented).ToList();
        var tampered = keys.Select(k => k[..20] + (k[20] == 'A' ? 'B' : 'A') + k[21..]).ToList();
        var folder = Directory.CreateTempSubdirectory("sigil-key-format-").FullName;
        try
        {
            var script = Fenced("js") + """

                const keys = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8"));
                console.log(JSON.stringify(keys.map(isSigilKey)));
                """;
            var input = Path.Combine(folder, "keys.json");
            await File.WriteAllTextAsync(input, System.Text.Json.JsonSerializer.Serialize(keys.Concat(tampered)));

            var verdicts = System.Text.Json.JsonSerializer.Deserialize<bool[]>(await NodeScript.RunAsync(folder, script, input))!;

            Assert.All(verdicts[..keys.Count], Assert.True);
            Assert.All(verdicts[keys.Count..], Assert.False);
            Assert.All(keys, k => Assert.True(ApiKeyMaterial.HasValidChecksum(k)));
            Assert.All(tampered, k => Assert.False(ApiKeyMaterial.HasValidChecksum(k)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_key_in_the_earlier_base64url_format_still_parses_and_has_no_checksum()
    {
        var earlier = "sgl_69ba5cd317_" + System.Buffers.Text.Base64Url.EncodeToString(new byte[32]);

        Assert.NotNull(ApiKeyMaterial.Parse(earlier));
        Assert.False(ApiKeyMaterial.HasValidChecksum(earlier));
    }
}
