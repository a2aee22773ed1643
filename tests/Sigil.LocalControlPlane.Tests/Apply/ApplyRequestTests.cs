using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tests.Apply;

public sealed class ApplyRequestTests
{
    public static TheoryData<string, string?, string?, string> Managers => new()
    {
        { "the fieldManager parameter names the manager", "helm", "kubectl/v1.32.0 (linux/amd64) kubernetes/abc", "helm" },
        { "without it, the User-Agent up to its first slash does", null, "kubectl/v1.32.0 (linux/amd64) kubernetes/abc", "kubectl" },
        { "a User-Agent without a slash is taken whole", null, "my-controller", "my-controller" },
        { "no User-Agent names nobody", null, null, "" },
        { "a long User-Agent is cut at 128 characters", null, new string('a', 200) + "/1", new string('a', 128) },
    };

    [Theory]
    [MemberData(nameof(Managers))]
    public void The_manager_of_a_write(string sentence, string? fieldManager, string? userAgent, string expected)
    {
        Assert.True(PatchOptionsRules.ManagerName(fieldManager, userAgent) == expected, sentence);
    }

    public static TheoryData<string, bool, string?, bool, string?> Options => new()
    {
        { "an apply names its manager", true, "kubectl", false, null },
        { "an apply without a manager is refused", true, null, false, "fieldManager: Required value: is required for apply patch" },
        { "an apply may force", true, "kubectl", true, null },
        { "another patch may not force", false, null, true, "force: Forbidden: may not be specified for non-apply patch" },
        { "a manager name is at most 128 bytes", false, new string('m', 129), false, "fieldManager: Too long: may not be more than 128 bytes" },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void Patch_options_are_checked_as_kube_apiserver_checks_them(string sentence, bool isApply, string? fieldManager, bool force, string? error)
    {
        var thrown = Record.Exception(() => PatchOptionsRules.Validate("PatchOptions", isApply, isPatch: true, fieldManager, force));

        if (error is null)
        {
            Assert.True(thrown is null, $"{sentence}: {thrown?.Message}");
        }
        else
        {
            var e = Assert.IsType<ApiException>(thrown);
            Assert.Equal(422, e.Code);
            Assert.Equal($"PatchOptions.meta.k8s.io \"\" is invalid: {error}", e.Message);
        }
    }

    public static TheoryData<string, string, string> Configurations => new()
    {
        { "JSON is read as JSON", """{"data":{"a":"1"}}""", """{"data":{"a":"1"}}""" },
        { "plain YAML scalars are typed", "a: 1\nb: true\nc: 1.5\nd: null\ne: text", """{"a":1,"b":true,"c":1.5,"d":null,"e":"text"}""" },
        { "quoted YAML scalars are strings", "a: \"1\"\nb: 'true'", """{"a":"1","b":"true"}""" },
        { "YAML lists and maps nest", "spec:\n  ports:\n  - name: a\n    port: 80", """{"spec":{"ports":[{"name":"a","port":80}]}}""" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Applied_configurations_are_read_from_YAML_or_JSON(string sentence, string text, string expected)
    {
        var config = ApplyConfiguration.Parse(text);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), config), $"{sentence}: {config.ToJsonString()}");
    }

    public static TheoryData<string, string> BadConfigurations => new()
    {
        { "unclosed YAML", "data: [unclosed" },
        { "a list, not an object", "- a\n- b" },
        { "two documents", "a: 1\n---\nb: 2" },
        { "a duplicated key", "a: 1\na: 2" },
        { "broken JSON", "{\"a\":" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public void Configurations_that_are_not_one_object_are_a_bad_request(string sentence, string text)
    {
        var e = Assert.Throws<ApiException>(() => ApplyConfiguration.Parse(text));

        Assert.True(e.Code == 400, $"{sentence}: {e.Code} {e.Message}");
    }

    /// <summary>An object whose field <c>x</c> holds <paramref name="lists"/> nested lists, as YAML flow.</summary>
    private static string NestedLists(int lists) => "x: " + new string('[', lists) + new string(']', lists);

    /// <summary>The same as block YAML: <paramref name="maps"/> maps, each under the key <c>x</c> of the one above.</summary>
    private static string NestedMaps(int maps) => string.Concat(Enumerable.Range(0, maps).Select(i => new string(' ', 2 * i) + "x:\n")) + new string(' ', 2 * maps) + "x: 1";

    /// <summary>"Billion laughs": five levels of ten aliases each, 10^5 strings from a few hundred bytes.</summary>
    private static string Laughs()
    {
        var levels = new[] { "a", "b", "c", "d", "e" };
        var lines = new List<string> { "a: &a [" + string.Join(",", Enumerable.Repeat("lol", 10)) + "]" };
        for (var i = 1; i < levels.Length; i++)
        {
            lines.Add($"{levels[i]}: &{levels[i]} [" + string.Join(",", Enumerable.Repeat("*" + levels[i - 1], 10)) + "]");
        }
        return string.Join("\n", lines);
    }

    public static TheoryData<string, string, string> HostileConfigurations => new()
    {
        { "an alias to the list that holds it, a cycle", "x: &a [*a]", ApplyConfiguration.AliasesRefused },
        { "an alias to a harmless scalar", "a: &v 1\nb: *v", ApplyConfiguration.AliasesRefused },
        { "billion laughs, five levels of ten aliases", Laughs(), ApplyConfiguration.AliasesRefused },
        { "an alias used as a map key", "a: &k x\n*k : 1", ApplyConfiguration.AliasesRefused },
        { "lists nested 300,000 deep, which overflowed YamlDotNet's own recursion", NestedLists(300_000), Json.TooDeep },
        { "lists nested one level beyond the limit", NestedLists(Json.MaxInputDepth), Json.TooDeep },
        { "block maps nested one level beyond the limit", NestedMaps(Json.MaxInputDepth), Json.TooDeep },
        { "JSON nested one level beyond the limit", "{\"x\":" + new string('[', Json.MaxInputDepth) + new string(']', Json.MaxInputDepth) + "}", "depth of 64" },
        { "a list as a map key", "a: 1\n? [b]\n: 2", "map keys must be strings" },
    };

    [Theory]
    [MemberData(nameof(HostileConfigurations))]
    public void Hostile_configurations_are_a_bad_request_read_without_recursion(string sentence, string text, string message)
    {
        var e = Assert.Throws<ApiException>(() => ApplyConfiguration.Parse(text));

        Assert.True(e.Code == 400 && e.Message.Contains(message, StringComparison.Ordinal), $"{sentence}: {e.Code} {e.Message}");
    }

    public static TheoryData<string, string, int> DeepButAllowed => new()
    {
        // The object itself is the first level, so x may hold one fewer.
        { "lists nested to the limit", NestedLists(Json.MaxInputDepth - 1), Json.MaxInputDepth },
        { "block maps nested to the limit", NestedMaps(Json.MaxInputDepth - 1), Json.MaxInputDepth },
        { "an anchor that no alias uses", "a: &unused [1]", 2 },
    };

    [Theory]
    [MemberData(nameof(DeepButAllowed))]
    public void Configurations_nested_up_to_the_limit_are_read_whole(string sentence, string text, int depth)
    {
        var config = ApplyConfiguration.Parse(text);

        Assert.True(Depth(config) == depth, $"{sentence}: {Depth(config)}");
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}
