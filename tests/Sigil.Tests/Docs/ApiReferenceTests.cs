using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Tests.Charts;
using Sigil.Tests.Support;

namespace Sigil.Tests.Docs;

/// <summary>docs/api.md keeps step with the CRD: every field path is there with the CRD's description, and nothing else is.</summary>
public sealed partial class ApiReferenceTests
{
    [Fact]
    public async Task Every_field_of_the_CRD_is_in_the_API_reference_with_its_description()
    {
        var fields = Fields().ToList();
        var documented = Documented(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "api.md")));

        var problems = new List<string>();
        foreach (var (path, description) in fields)
        {
            if (!documented.TryGetValue(path, out var text))
            {
                problems.Add($"{path} is missing");
            }
            else if (description is not null && Normalize(text) != Normalize(description))
            {
                problems.Add($"{path}: the CRD says \"{description}\", docs/api.md says \"{text}\"");
            }
        }
        problems.AddRange(documented.Keys.Except(fields.Select(f => f.Path)).Select(path => $"{path} is documented but not in the CRD"));

        Assert.True(fields.Count > 50, $"only {fields.Count} fields read from the CRD");
        Assert.True(problems.Count == 0, "docs/api.md is out of step with crds/:\n" + string.Join('\n', problems));
    }

    /// <summary>Every property of the schema as a path (a list item's fields under <c>list[]</c>) with its description.</summary>
    private static IEnumerable<(string Path, string? Description)> Fields()
    {
        var crd = ChartRendering.Documents(File.ReadAllText(Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml"))).Single();
        var schema = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();
        return Walk(schema, "");

        static IEnumerable<(string, string?)> Walk(JsonObject node, string prefix)
        {
            foreach (var (name, value) in node["properties"]?.AsObject() ?? [])
            {
                var child = value!.AsObject();
                var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
                yield return (path, (string?)child["description"]);
                var nested = (string?)child["type"] == "array" ? child["items"]?.AsObject() : child;
                var nestedPath = (string?)child["type"] == "array" ? path + "[]" : path;
                if (nested?["properties"] is not null)
                {
                    foreach (var field in Walk(nested, nestedPath))
                    {
                        yield return field;
                    }
                }
            }
        }
    }

    /// <summary>The entries of api.md: <c>- **`path`** (type ...): description</c>, the description HTML-decoded.</summary>
    private static Dictionary<string, string> Documented(string markdown) =>
        EntryPattern().Matches(markdown).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value), StringComparer.Ordinal);

    private static string Normalize(string text) => WhitespacePattern().Replace(text, " ").Trim();

    [GeneratedRegex(@"^\s*- \*\*`([^`]+)`\*\* \(.*?\): (.*)$", RegexOptions.Multiline)]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
