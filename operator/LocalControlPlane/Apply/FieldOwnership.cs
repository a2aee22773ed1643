using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>Where a write happens: the resource type's shape, the API version and subresource it is made through, and when.</summary>
internal sealed record OwnershipScope(ApplySchema Schema, string ApiVersion, string? Subresource, bool HasStatusSubresource, string Now, bool IsBuiltIn);

/// <summary>A field another manager owns that an apply would change.</summary>
internal sealed record ApplyConflict(ManagedFieldsEntry Owner, IReadOnlyList<PathElement> Path);

/// <summary>
/// kube-apiserver's field manager as pure functions: who owns which fields after an update or an apply,
/// what an apply makes of the live object (merge, then removal of what the manager stopped applying),
/// and which applies conflict with other managers.
/// </summary>
internal static class FieldOwnership
{
    public const string BeforeFirstApply = "before-first-apply";

    // kube-apiserver's stripMeta: fields no manager owns (exact paths, not their children).
    private static readonly FieldSet NeverOwned = FieldSet.Of(
        new[] { "apiVersion", "kind", "metadata" }.Select(f => (IReadOnlyList<PathElement>)[PathElement.Field(f)])
        .Concat(new[] { "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion" }
            .Select(f => (IReadOnlyList<PathElement>)[PathElement.Field("metadata"), PathElement.Field(f)])));

    private static readonly PathElement Status = PathElement.Field("status");

    /// <summary>The managedFields after a create, update or non-apply patch by <paramref name="manager"/>; live is null on create.</summary>
    public static JsonArray Update(OwnershipScope scope, JsonObject? live, JsonObject updated, string manager)
    {
        var managed = live is null && updated.Metadata()["managedFields"] is null ? [] : IncomingOrLive(scope, live, updated);
        if (live is not null && managed.Count == 0)
        {
            // kube-apiserver's skipNonApplied: an object nobody tracks stays untracked until someone applies to it.
            return [];
        }
        var comparison = TypedValues.Compare(WithoutManagedFields(live ?? EmptyLike(scope, updated)), WithoutManagedFields(updated), scope.Schema);
        var changed = Owned(scope, comparison.Changed);
        var removed = Owned(scope, comparison.Removed);
        var me = new ManagedFieldsEntry(manager, ManagedFieldsEntry.Update, scope.ApiVersion, scope.Now, scope.Subresource, FieldSet.Empty);
        var entries = managed.Select(e => e with { Fields = e.Fields.Except(changed).Except(removed) }).ToList();
        if (!changed.IsEmpty)
        {
            var previous = entries.FirstOrDefault(e => e.IsSameOwner(me));
            entries.Remove(previous!);
            entries.Add(me with { Fields = (previous?.Fields ?? FieldSet.Empty).Union(changed) });
        }
        return ManagedFieldsEntry.Encode(entries);
    }

    /// <summary>
    /// Applies <paramref name="config"/> (the manager's whole intent) to <paramref name="live"/> (null: create):
    /// the merged object, with its managedFields, or the conflicts with other managers when not forced.
    /// The manager owns the fields of <paramref name="ownedConfig"/> when given (the configuration without the
    /// fields a CRD's schema prunes, which the object will not keep).
    /// </summary>
    public static (JsonObject? Merged, IReadOnlyList<ApplyConflict> Conflicts) Apply(
        OwnershipScope scope, JsonObject? live, JsonObject config, string manager, bool force, JsonObject? ownedConfig = null)
    {
        var before = WithoutManagedFields(live ?? EmptyLike(scope, config));
        var managed = ManagedFieldsEntry.Decode(live?.Metadata()["managedFields"]) ?? [];
        if (live is not null && managed.Count == 0)
        {
            // An object nobody has applied to yet: its fields belong to whoever wrote it, so a first apply can conflict.
            managed.Add(new ManagedFieldsEntry(BeforeFirstApply, ManagedFieldsEntry.Update, scope.ApiVersion, null, null,
                Owned(scope, TypedValues.ToFieldSet(before, scope.Schema))));
        }

        var applied = Owned(scope, TypedValues.ToFieldSet(WithoutManagedFields(ownedConfig ?? config), scope.Schema));
        var me = new ManagedFieldsEntry(manager, ManagedFieldsEntry.Apply, scope.ApiVersion, null, scope.Subresource, applied);
        var previous = managed.FirstOrDefault(e => e.IsSameOwner(me));
        var others = managed.Where(e => !e.IsSameOwner(me)).ToList();

        var merged = (JsonObject)TypedValues.Merge(before, WithoutManagedFields(config), scope.Schema)!;
        if (previous is not null)
        {
            TypedValues.RemoveUnowned(merged, previous.Fields, others.Aggregate(applied, (all, e) => all.Union(e.Fields)));
        }

        var comparison = TypedValues.Compare(before, merged, scope.Schema);
        var changed = Owned(scope, comparison.Changed);
        var removed = Owned(scope, comparison.Removed);
        var conflicts = others
            .SelectMany(e => e.Fields.Intersect(changed).Paths().Select(p => new ApplyConflict(e, p)))
            .OrderBy(c => c.Owner.Describe(), StringComparer.Ordinal)
            .ToList();
        if (conflicts.Count > 0 && manager == "kubectl" && live is not null)
        {
            var excused = UnchangedSinceClientSideApply(scope, before);
            conflicts = conflicts.Where(c => !excused.Intersect(FieldSet.Of([c.Path])).Paths().Any()).ToList();
        }
        if (conflicts.Count > 0 && !force)
        {
            return (null, conflicts);
        }

        var objectChanged = !JsonNode.DeepEquals(before, merged);
        var entries = others.Select(e => e with { Fields = e.Fields.Except(changed).Except(removed) }).ToList();
        entries.Add(me with { Time = objectChanged || previous?.Time is null ? scope.Now : previous.Time });
        var encoded = ManagedFieldsEntry.Encode(entries);
        if (encoded.Count > 0)
        {
            merged.Metadata()["managedFields"] = encoded;
        }
        SyncLastApplied(merged, config, manager);
        return (merged, []);
    }

    /// <summary>
    /// kube-apiserver's lastAppliedUpdater: when kubectl applies server-side to an object that also has client-side
    /// apply's annotation, the annotation becomes this configuration, so a later client-side apply diffs against it.
    /// Other managers opt out.
    /// </summary>
    private static void SyncLastApplied(JsonObject merged, JsonObject config, string manager)
    {
        if (manager != "kubectl" || merged.Metadata()["annotations"] is not JsonObject annotations
            || annotations.Str(LastAppliedAnnotation) is not { Length: > 0 })
        {
            return;
        }
        var lastApplied = WithoutManagedFields(config);
        if (lastApplied.Metadata()["annotations"] is JsonObject own)
        {
            own.Remove(LastAppliedAnnotation);
            if (own.Count == 0)
            {
                lastApplied.Metadata().Remove("annotations");
            }
        }
        // As Go's encoding/json writes a map: keys in order, no spaces.
        annotations[LastAppliedAnnotation] = SortedKeys(lastApplied)!.ToJsonString(Json.Compact);
    }

    /// <summary>
    /// kube-apiserver's lastAppliedManager: kubectl moving an object from client-side to server-side apply does not
    /// conflict over fields its last client-side apply set that still have the values it set.
    /// </summary>
    private static FieldSet UnchangedSinceClientSideApply(OwnershipScope scope, JsonObject live)
    {
        if (live.Metadata()["annotations"].Str(LastAppliedAnnotation) is not { Length: > 0 } text)
        {
            return FieldSet.Empty;
        }
        JsonObject? lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return FieldSet.Empty;
        }
        if (lastApplied is null || lastApplied.Str("apiVersion") != scope.ApiVersion)
        {
            return FieldSet.Empty;
        }
        var changed = TypedValues.Compare(lastApplied, live, scope.Schema);
        return TypedValues.ToFieldSet(lastApplied, scope.Schema).Except(changed.Changed).Except(changed.Removed);
    }

    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private static JsonNode? SortedKeys(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SortedKeys(p.Value)))),
        JsonArray a => new JsonArray(a.Select(SortedKeys).ToArray()),
        _ => node?.DeepClone(),
    };

    /// <summary>kube-apiserver's 409 for apply conflicts, word for word.</summary>
    public static ApiException ConflictError(IReadOnlyList<ApplyConflict> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {FieldSet.Describe(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => c.Owner.Describe())
                .SelectMany(g => new[] { $"conflicts with {g.Key}:" }.Concat(g.Select(c => "- " + FieldSet.Describe(c.Path))));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        var details = new JsonObject
        {
            ["causes"] = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with {c.Owner.Describe()}",
                ["field"] = FieldSet.Describe(c.Path),
            }).ToArray()),
        };
        return new ApiException(409, "Conflict", message, details);
    }

    /// <summary>
    /// kube-apiserver's decodeLiveOrNew: managedFields a client sends are taken as given when valid and not empty,
    /// <c>[{}]</c> clears them, and otherwise (or through a subresource) the live object's are kept.
    /// </summary>
    private static List<ManagedFieldsEntry> IncomingOrLive(OwnershipScope scope, JsonObject? live, JsonObject updated)
    {
        var liveEntries = ManagedFieldsEntry.Decode(live?.Metadata()["managedFields"]) ?? [];
        var incoming = updated.Metadata()["managedFields"];
        if (scope.Subresource is not null)
        {
            return liveEntries;
        }
        if (ManagedFieldsEntry.IsReset(incoming))
        {
            return [];
        }
        return ManagedFieldsEntry.Decode(incoming) is { Count: > 0 } given ? given : liveEntries;
    }

    /// <summary>What a manager can own: never the identity metadata; through /status only status; otherwise not status.</summary>
    private static FieldSet Owned(OwnershipScope scope, FieldSet fields)
    {
        var owned = fields.Except(NeverOwned).WithoutSubtree([PathElement.Field("metadata"), PathElement.Field("managedFields")]);
        if (scope.Subresource == "status")
        {
            return owned.OnlySubtree(Status);
        }
        return scope.HasStatusSubresource ? owned.WithoutSubtree([Status]) : owned;
    }

    /// <summary>
    /// What an object is compared with on create. kube-apiserver compares with the type's zero value, in which a
    /// built-in kind's metadata and spec exist (so they are not "added"), while a custom resource's is empty.
    /// </summary>
    private static JsonObject EmptyLike(OwnershipScope scope, JsonObject obj)
    {
        var empty = new JsonObject { ["apiVersion"] = obj["apiVersion"]?.DeepClone(), ["kind"] = obj["kind"]?.DeepClone() };
        if (scope.IsBuiltIn)
        {
            empty["metadata"] = new JsonObject();
            if (obj["spec"] is JsonObject)
            {
                empty["spec"] = new JsonObject();
            }
        }
        return empty;
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = obj.Clone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
        }
        return copy;
    }
}
