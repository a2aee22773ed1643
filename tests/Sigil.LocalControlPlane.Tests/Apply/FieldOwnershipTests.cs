using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tests.Apply;

public sealed class FieldOwnershipTests
{
    private const string Now = "2026-12-01T00:00:00Z";
    private const string Later = "2026-12-01T00:05:00Z";

    private static OwnershipScope Scope(ResourceType type, string? subresource = null, string now = Later) =>
        new(ApplySchema.For(type), type.ApiVersion, subresource, type.HasStatus, now, type.IsBuiltIn);

    private static JsonObject Deployment(string spec, string labels = """{"app":"web"}""") => JsonNode.Parse($$"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","uid":"u1","labels":{{labels}}},"spec":{{spec}}}
        """)!.AsObject();

    /// <summary>An object as created by <paramref name="manager"/> with an ordinary (Update) write.</summary>
    private static JsonObject CreatedBy(string manager, JsonObject obj, ResourceType? type = null)
    {
        var created = obj.Clone();
        created.Metadata()["managedFields"] = FieldOwnership.Update(Scope(type ?? ApplySchemas.Deployment, now: Now), null, obj, manager);
        return created;
    }

    private static JsonObject AppliedBy(string manager, JsonObject? live, JsonObject config, bool force = false, ResourceType? type = null, string? subresource = null)
    {
        var (merged, conflicts) = FieldOwnership.Apply(Scope(type ?? ApplySchemas.Deployment, subresource), live, config, manager, force);
        Assert.True(merged is not null, string.Join("; ", conflicts.Select(c => c.Owner.Manager + FieldSet.Describe(c.Path))));
        return merged;
    }

    private static JsonObject Entry(JsonObject obj, string manager) =>
        Assert.Single(obj.Metadata()["managedFields"]!.AsArray(), e => e.Str("manager") == manager)!.AsObject();

    private static string Fields(JsonObject obj, string manager) => Entry(obj, manager)["fieldsV1"]!.ToJsonString();

    [Fact]
    public void A_create_owns_what_it_wrote_except_the_identity_metadata()
    {
        var created = CreatedBy("kubectl-create", Deployment("""{"replicas":1}"""));

        var entry = Entry(created, "kubectl-create");
        Assert.Equal("Update", entry.Str("operation"));
        Assert.Equal("apps/v1", entry.Str("apiVersion"));
        Assert.Equal(Now, entry.Str("time"));
        Assert.Equal("FieldsV1", entry.Str("fieldsType"));
        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{}}}""", entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public void A_custom_resource_created_from_nothing_owns_its_spec_object_too()
    {
        var gadget = JsonNode.Parse("""{"apiVersion":"sigil-test.dev/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"size":1}}""")!.AsObject();

        var created = CreatedBy("kubectl-create", gadget, ApplySchemas.Gadget);

        Assert.Equal("""{"f:spec":{".":{},"f:size":{}}}""", Fields(created, "kubectl-create"));
    }

    [Fact]
    public void An_update_takes_the_fields_it_changed_from_other_managers_without_a_conflict()
    {
        var live = CreatedBy("creator", Deployment("""{"replicas":1,"paused":false}"""));
        var updated = Deployment("""{"replicas":5,"paused":false}""");
        updated.Metadata()["managedFields"] = live.Metadata()["managedFields"]!.DeepClone();

        var managed = FieldOwnership.Update(Scope(ApplySchemas.Deployment), live, updated, "scaler");

        var entries = managed.Select(e => (e.Str("manager"), e!["fieldsV1"]!.ToJsonString())).ToList();
        Assert.Contains(("scaler", """{"f:spec":{"f:replicas":{}}}"""), entries);
        Assert.Contains(("creator", """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:paused":{}}}"""), entries);
    }

    [Fact]
    public void An_update_that_changes_nothing_keeps_the_managers_and_their_times()
    {
        var live = CreatedBy("creator", Deployment("""{"replicas":1}"""));

        var managed = FieldOwnership.Update(Scope(ApplySchemas.Deployment), live, live.Clone(), "someone-else");

        Assert.True(JsonNode.DeepEquals(live.Metadata()["managedFields"], managed), managed.ToJsonString());
    }

    [Fact]
    public void Managers_left_with_no_fields_are_removed()
    {
        static JsonObject Scaled(int replicas) => new()
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["replicas"] = replicas },
        };
        var live = CreatedBy("creator", Scaled(1));

        var managed = FieldOwnership.Update(Scope(ApplySchemas.Deployment), live, Scaled(2), "scaler");

        Assert.Equal(["scaler"], managed.Select(e => e.Str("manager")));
    }

    public static TheoryData<string, string, string[]> ClientManagedFields => new()
    {
        { "valid entries are taken as given", """[{"manager":"given","operation":"Apply","apiVersion":"apps/v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:paused":{}}}}]""", ["given", "editor"] },
        { "[{}] clears them, and the write that cleared them is not tracked either", "[{}]", [] },
        { "an empty list keeps the live ones", "[]", ["creator", "editor"] },
        { "entries that are not FieldsV1 keep the live ones", """[{"manager":"x","operation":"Apply","fieldsType":"FieldsV2"}]""", ["creator", "editor"] },
        { "an unknown operation keeps the live ones", """[{"manager":"x","operation":"Patch","fieldsType":"FieldsV1","fieldsV1":{}}]""", ["creator", "editor"] },
    };

    [Theory]
    [MemberData(nameof(ClientManagedFields))]
    public void ManagedFields_a_client_sends_in_an_update(string sentence, string sent, string[] expectedManagers)
    {
        var live = CreatedBy("creator", Deployment("""{"replicas":1}"""));
        var updated = Deployment("""{"replicas":2}""");
        updated.Metadata()["managedFields"] = JsonNode.Parse(sent);

        var managed = FieldOwnership.Update(Scope(ApplySchemas.Deployment), live, updated, "editor");

        Assert.True(expectedManagers.SequenceEqual(managed.Select(e => e.Str("manager")!)), $"{sentence}: {managed.ToJsonString()}");
    }

    [Fact]
    public void An_update_to_an_object_nobody_tracks_leaves_it_untracked()
    {
        var live = Deployment("""{"replicas":1}""");

        var managed = FieldOwnership.Update(Scope(ApplySchemas.Deployment), live, Deployment("""{"replicas":2}"""), "scaler");

        Assert.Empty(managed);
    }

    [Fact]
    public void Applying_a_value_another_manager_owns_is_a_conflict_worded_as_kube_apiserver_words_it()
    {
        var live = CreatedBy("kubectl-client-side-apply", Deployment("""{"replicas":2}"""));

        var (merged, conflicts) = FieldOwnership.Apply(Scope(ApplySchemas.Deployment), live, Deployment("""{"replicas":3}"""), "other", force: false);
        var status = FieldOwnership.ConflictError(conflicts).ToStatus();

        Assert.Null(merged);
        Assert.Equal(409, (int)status["code"]!);
        Assert.Equal("Conflict", status.Str("reason"));
        Assert.Equal("""Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas""", status.Str("message"));
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal("FieldManagerConflict", cause.Str("reason"));
        Assert.Equal("""conflict with "kubectl-client-side-apply" using apps/v1""", cause.Str("message"));
        Assert.Equal(".spec.replicas", cause.Str("field"));
    }

    [Fact]
    public void Several_conflicts_are_listed_by_manager()
    {
        var live = AppliedBy("alpha", null, Deployment("""{"replicas":2}""", labels: "{}"));
        live = AppliedBy("beta", live, Deployment("""{"paused":false}""", labels: "{}"));
        live = AppliedBy("beta", live, Deployment("""{"paused":false,"minReadySeconds":1}""", labels: "{}"));

        var (_, conflicts) = FieldOwnership.Apply(Scope(ApplySchemas.Deployment), live, Deployment("""{"replicas":3,"paused":true,"minReadySeconds":2}""", labels: "{}"), "gamma", force: false);

        Assert.Equal("Apply failed with 3 conflicts: conflicts with \"alpha\":\n- .spec.replicas\nconflicts with \"beta\":\n- .spec.minReadySeconds\n- .spec.paused",
            FieldOwnership.ConflictError(conflicts).Message);
    }

    [Fact]
    public void Applying_the_same_value_as_another_manager_shares_the_field()
    {
        var live = AppliedBy("first", null, Deployment("""{"replicas":2}"""));

        var shared = AppliedBy("second", live, Deployment("""{"replicas":2}"""));

        Assert.Equal(Fields(shared, "first"), Fields(shared, "second"));
        Assert.Contains("f:replicas", Fields(shared, "first"), StringComparison.Ordinal);
    }

    [Fact]
    public void Forcing_takes_the_field_and_leaves_the_previous_owner_the_rest()
    {
        var live = CreatedBy("kubectl-client-side-apply", Deployment("""{"replicas":2,"paused":false}"""));

        var taken = AppliedBy("other", live, Deployment("""{"replicas":3}"""), force: true);

        Assert.Equal(3, (int)taken["spec"]!["replicas"]!);
        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:paused":{}}}""", Fields(taken, "kubectl-client-side-apply"));
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{}}}""", Fields(taken, "other"));
        Assert.Equal("Apply", Entry(taken, "other").Str("operation"));
    }

    [Fact]
    public void A_field_dropped_from_the_configuration_is_removed_unless_another_manager_owns_it()
    {
        var live = AppliedBy("mine", null, Deployment("""{"replicas":2,"paused":true}""", labels: """{"app":"web","tier":"front"}"""));
        live = AppliedBy("theirs", live, Deployment("{}", labels: """{"tier":"front"}"""));

        var after = AppliedBy("mine", live, Deployment("""{"replicas":2}""", labels: """{"app":"web"}"""));

        Assert.Null(after["spec"]!["paused"]);
        Assert.Equal("""{"app":"web","tier":"front"}""", after.Metadata()["labels"]!.ToJsonString());
    }

    [Fact]
    public void A_first_apply_to_an_object_without_managedFields_conflicts_with_before_first_apply()
    {
        var live = Deployment("""{"replicas":2}""");

        var (_, conflicts) = FieldOwnership.Apply(Scope(ApplySchemas.Deployment), live, Deployment("""{"replicas":3}"""), "kubectl", force: false);

        Assert.Equal("""Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas""", FieldOwnership.ConflictError(conflicts).Message);
    }

    [Fact]
    public void Reapplying_the_same_configuration_changes_nothing_not_even_the_time()
    {
        var first = AppliedBy("kubectl", null, Deployment("""{"replicas":2}"""));

        var (again, _) = FieldOwnership.Apply(Scope(ApplySchemas.Deployment, now: "2027-01-01T00:00:00Z"), first, Deployment("""{"replicas":2}"""), "kubectl", force: false);

        Assert.True(JsonNode.DeepEquals(first, again), again!.ToJsonString());
    }

    [Theory]
    [InlineData("kubectl", true)]
    [InlineData("helm", false)]
    public void Kubectl_applying_server_side_keeps_client_side_applys_annotation_up_to_date(string manager, bool synced)
    {
        const string key = "kubectl.kubernetes.io/last-applied-configuration";
        var live = CreatedBy("kubectl-client-side-apply", Deployment("""{"replicas":2}"""));
        live.Metadata()["annotations"] = new JsonObject { [key] = "{\"old\":true}" };

        var after = AppliedBy(manager, live, Deployment("""{"replicas":2}"""), force: true);

        var expected = synced
            ? """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"web"},"name":"web","namespace":"ns","uid":"u1"},"spec":{"replicas":2}}"""
            : """{"old":true}""";
        Assert.Equal(expected, after.Metadata()["annotations"].Str(key));
    }

    [Theory]
    [InlineData("the value client-side apply set is unchanged", 2, null)]
    [InlineData("someone changed it since", 5, "conflict with \"scaler\" using apps/v1: .spec.replicas")]
    public void Kubectl_moving_to_server_side_apply_does_not_conflict_over_what_its_client_side_apply_set(string sentence, int liveReplicas, string? conflict)
    {
        var live = CreatedBy("scaler", Deployment($$"""{"replicas":{{liveReplicas}}}"""));
        live.Metadata()["annotations"] = new JsonObject
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}""",
        };

        var (merged, conflicts) = FieldOwnership.Apply(Scope(ApplySchemas.Deployment), live, Deployment("""{"replicas":3}"""), "kubectl", force: false);

        if (conflict is null)
        {
            Assert.True(merged is not null, sentence);
            Assert.Equal(3, (int)merged["spec"]!["replicas"]!);
        }
        else
        {
            Assert.Contains(conflict, FieldOwnership.ConflictError(conflicts).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_status_apply_owns_only_status_and_records_the_subresource()
    {
        var live = AppliedBy("kubectl", null, Deployment("""{"replicas":2}"""));
        var config = Deployment("""{"replicas":9}""");
        config["status"] = JsonNode.Parse("""{"readyReplicas":2}""");

        var after = AppliedBy("controller", live, config, subresource: "status");

        var entry = Entry(after, "controller");
        Assert.Equal("status", entry.Str("subresource"));
        Assert.Equal("""{"f:status":{"f:readyReplicas":{}}}""", entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public void A_main_resource_apply_does_not_own_status()
    {
        var config = Deployment("""{"replicas":2}""");
        config["status"] = JsonNode.Parse("""{"readyReplicas":2}""");

        var created = AppliedBy("kubectl", null, config);

        Assert.DoesNotContain("f:status", Fields(created, "kubectl"), StringComparison.Ordinal);
    }
}
