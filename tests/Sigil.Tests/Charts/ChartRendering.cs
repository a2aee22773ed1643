using System.Text.Json.Nodes;
using Sigil.Tests.Support;
using YamlDotNet.Serialization;

namespace Sigil.Tests.Charts;

/// <summary>charts/sigil rendered with real helm (helm template), as JSON objects.</summary>
internal static class ChartRendering
{
    public static string ChartPath => Path.Combine(Repository.Root, "charts", "sigil");

    public static async Task<List<JsonObject>> RenderAsync(string ns = "sigil-system", params string[] set)
    {
        using var helm = new Helm(await ToolCache.Helm3Async(), "/dev/null");
        var args = new List<string> { "template", "sigil", ChartPath, "-n", ns };
        foreach (var s in set)
        {
            args.AddRange(["--set", s]);
        }
        var yaml = await helm.OkAsync([.. args]);
        return Documents(yaml);
    }

    public static List<JsonObject> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        return yaml.Split("\n---", StringSplitOptions.RemoveEmptyEntries)
            .Select(doc => deserializer.Deserialize<object>(doc))
            .Where(graph => graph is not null)
            .Select(graph => (JsonObject)JsonNode.Parse(serializer.Serialize(graph))!)
            .ToList();
    }

    public static JsonObject Single(this List<JsonObject> documents, string kind) => documents.Single(d => (string?)d["kind"] == kind);
}
