using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using k8s;
using Sigil.Operator;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.Benchmarks;

/// <summary>
/// What the local control plane's CEL rules cost per ServiceIdentity write (the Cel library interprets its parse tree on
/// every evaluation): a typical create, the worst case the CRD allows (64 API keys, whose uniqueness rule is quadratic),
/// and a status write, which re-runs no spec rule.
/// </summary>
[MemoryDiagnoser]
public class ValidationRulesBenchmarks
{
    private RuleNode _rules = null!;
    private JsonObject _typical = null!;
    private JsonObject _largest = null!;
    private JsonObject _statusWrite = null!;

    [GlobalSetup]
    public void Setup()
    {
        var crd = JsonNode.Parse(KubernetesJson.Serialize(LocalSetup.Crds().Single(c => c.Metadata.Name == "serviceidentities.sigil.dev")))!;
        _rules = RuleCompiler.Compile((JsonObject)crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!, "").Root!;
        _typical = Identity("""
            {"x509": {"ttl": "24h", "renewBefore": "8h"},
             "apiKeys": [{"name": "billing", "audience": "billing", "rotation": {"every": "720h"}}],
             "jwt": {"ttl": "1h", "audiences": [{"name": "payments", "audience": "payments"}]},
             "acceptsFrom": [{"serviceIdentity": "frontend"}]}
            """);
        var keys = new JsonArray(Enumerable.Range(0, 64)
            .Select(i => (JsonNode)new JsonObject { ["name"] = $"k{i}", ["audience"] = "billing", ["rotation"] = new JsonObject { ["every"] = "720h" } })
            .ToArray());
        _largest = Identity(new JsonObject { ["x509"] = new JsonObject { ["ttl"] = "24h" }, ["apiKeys"] = keys }.ToJsonString());
        _statusWrite = _typical.DeepClone().AsObject();
        _statusWrite["status"] = new JsonObject { ["observedGeneration"] = 1 };
    }

    [Benchmark(Baseline = true)]
    public int TypicalCreate() => RuleEvaluator.Validate(_rules, _typical, null).Count;

    [Benchmark]
    public int SixtyFourApiKeysCreate() => RuleEvaluator.Validate(_rules, _largest, null).Count;

    [Benchmark]
    public int StatusWrite() => RuleEvaluator.Validate(_rules, _statusWrite, _typical).Count;

    private static JsonObject Identity(string spec) => new()
    {
        ["apiVersion"] = "sigil.dev/v1alpha1",
        ["kind"] = "ServiceIdentity",
        ["metadata"] = new JsonObject { ["name"] = "payments", ["namespace"] = "shop" },
        ["spec"] = JsonNode.Parse(spec),
    };
}
