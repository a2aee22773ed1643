using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Catalog;

namespace Sigil.LocalControlPlane.Tests.Apply;

public sealed class FieldOwnershipTests
{
    private static readonly ResourceType Deployments = new("apps", "v1", "deployments", "deployment", "Deployment", true, "deployments") { HasStatus = true };

    private static OwnershipScope Scope(string? subresource = null, string now = "2026-12-01T00:00:00Z") =>
        new(ApplySchema.For(Deployments), "apps/v1", subresource, true, now, IsBuiltIn: true);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Created(JsonObject obj, string manager)
    {
        var created = obj.DeepClone().AsObject();
        created["metadata"]!["managedFields"] = FieldOwnership.Update(Scope(), null, obj, manager);
        return created;
    }

    [Fact]
    public void Forcing_a_conflict_leaves_the_previous_owner_what_it_did_not_lose()
    {
        var live = Created(Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2,"paused":false}}"""), "kubectl-client-side-apply");
        var config = Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":3}}""");

        var (merged, conflicts) = FieldOwnership.Apply(Scope(), live, config, "other", force: true);

        Assert.Empty(conflicts);
        File.WriteAllText("/tmp/ssa-debug.json", merged!["metadata"]!["managedFields"]!.ToJsonString() + "\n" + live.ToJsonString());
    }
}
