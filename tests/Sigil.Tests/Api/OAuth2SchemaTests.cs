using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Tests.Support;

namespace Sigil.Tests.Api;

/// <summary>
/// spec.oauth2 and acceptsFrom[].scopes as the API server enforces them: scope-tokens of RFC 6749 section 3.3, each
/// listed once, and a client secret's rotation written exactly like an API key's.
/// </summary>
public sealed class OAuth2SchemaTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private static JsonObject Spec => (JsonObject)CrdSchemaTests.LoadCrd()["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;

    private static JsonObject ScopesSchema => (JsonObject)Spec["properties"]!["acceptsFrom"]!["items"]!["properties"]!["scopes"]!;

    [Fact]
    public void The_scope_pattern_allows_exactly_the_RFC_6749_scope_token_characters()
    {
        var regex = new Regex((string)ScopesSchema["items"]!["pattern"]!);

        for (var c = 0; c < 0x100; c++)
        {
            // scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            var allowed = c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
            Assert.True(allowed == regex.IsMatch(((char)c).ToString()), $"U+{c:X4} should be {(allowed ? "allowed" : "refused")}");
        }
        Assert.Matches(regex, "orders.read");
        Assert.Matches(regex, "https://orders.example.com/write");
        Assert.DoesNotMatch(regex, "orders.read orders.write");
        Assert.DoesNotMatch(regex, "");
    }

    [Fact]
    public void Scopes_are_a_bounded_set()
    {
        Assert.Equal("set", (string?)ScopesSchema["x-kubernetes-list-type"]);
        Assert.NotNull(ScopesSchema["maxItems"]);
        Assert.NotNull(ScopesSchema["items"]!["maxLength"]);
    }

    [Fact]
    public void A_client_secret_rotation_has_the_same_fields_defaults_and_rule_as_an_API_key_rotation()
    {
        var apiKey = (JsonObject)Spec["properties"]!["apiKeys"]!["items"]!;
        var clientSecret = (JsonObject)Spec["properties"]!["oauth2"]!["properties"]!["clientSecret"]!;

        Assert.Equal(
            apiKey["properties"]!["rotation"]!["properties"]!.AsObject().Select(p => (p.Key, p.Value!["pattern"]?.ToJsonString(), p.Value["default"]?.ToJsonString())),
            clientSecret["properties"]!["rotation"]!["properties"]!.AsObject().Select(p => (p.Key, p.Value!["pattern"]?.ToJsonString(), p.Value["default"]?.ToJsonString())));
        Assert.Equal((string?)apiKey["x-kubernetes-validations"]![0]!["rule"], (string?)clientSecret["x-kubernetes-validations"]![0]!["rule"]);
        Assert.Equal(["rotation"], clientSecret["required"]!.AsArray().Select(n => (string?)n));
    }

    /// <summary>acceptsFrom[0].scopes as sent, and the field an Invalid answer names (null: accepted).</summary>
    private static readonly Dictionary<string, (string Scopes, string? Field)> ScopeTable = new()
    {
        ["ordinary scopes are accepted"] = ("""["orders.read", "orders:write", "https://orders.example/admin"]""", null),
        ["a scope with a space is two scopes, and is refused"] = ("""["orders.read orders.write"]""", "spec.acceptsFrom[0].scopes[0]"),
        ["a scope with a double quote is refused"] = ("""["orders\"read"]""", "spec.acceptsFrom[0].scopes[0]"),
        ["a scope with a backslash is refused"] = ("""["orders\\read"]""", "spec.acceptsFrom[0].scopes[0]"),
        ["a scope with a non-ASCII letter is refused"] = ("""["ordérs"]""", "spec.acceptsFrom[0].scopes[0]"),
        ["an empty scope is refused"] = ("""["orders.read", ""]""", "spec.acceptsFrom[0].scopes[1]"),
        ["a scope listed twice is refused"] = ("""["orders.read", "orders.write", "orders.read"]""", "spec.acceptsFrom[0].scopes[2]"),
    };

    public static TheoryData<string, ClusterKind> ScopeCases
    {
        get
        {
            var cases = new TheoryData<string, ClusterKind>();
            foreach (var because in ScopeTable.Keys)
            {
                foreach (var kind in TestCluster.Kinds)
                {
                    cases.Add(because, kind);
                }
            }
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(ScopeCases))]
    public async Task The_API_server_enforces_the_scope_syntax_and_uniqueness(string because, ClusterKind kind)
    {
        var (scopes, field) = ScopeTable[because];
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster, start: false);
        var ns = await cluster.CreateNamespaceAsync();
        var identity = new JsonObject
        {
            ["apiVersion"] = "sigil.dev/v1alpha1",
            ["kind"] = "ServiceIdentity",
            ["metadata"] = new JsonObject { ["name"] = "orders" },
            ["spec"] = new JsonObject
            {
                ["acceptsFrom"] = new JsonArray(new JsonObject { ["serviceIdentity"] = "payments", ["scopes"] = JsonNode.Parse(scopes) }),
            },
        };

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, $"/apis/sigil.dev/v1alpha1/namespaces/{ns}/serviceidentities", identity);

        if (field is null)
        {
            Assert.True(status == HttpStatusCode.Created, $"{because}: {body.ToJsonString()}");
            Assert.Equal(JsonNode.Parse(scopes)!.ToJsonString(), body["spec"]!["acceptsFrom"]![0]!["scopes"]!.ToJsonString());
        }
        else
        {
            Assert.True(status == (HttpStatusCode)422, $"{because}: {body.ToJsonString()}");
            Assert.Contains(body["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == field);
        }
    }

    [Fact]
    public async Task An_empty_oauth2_block_is_kept_so_the_identity_is_a_client_that_authenticates_with_its_SVID()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, start: false);
        var ns = await cluster.CreateNamespaceAsync();
        var identity = new JsonObject
        {
            ["apiVersion"] = "sigil.dev/v1alpha1",
            ["kind"] = "ServiceIdentity",
            ["metadata"] = new JsonObject { ["name"] = "payments" },
            ["spec"] = new JsonObject { ["oauth2"] = new JsonObject() },
        };

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, $"/apis/sigil.dev/v1alpha1/namespaces/{ns}/serviceidentities", identity);

        Assert.True(status == HttpStatusCode.Created, body.ToJsonString());
        Assert.Equal("{}", body["spec"]!["oauth2"]!.ToJsonString());
    }
}
