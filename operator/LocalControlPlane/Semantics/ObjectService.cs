using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Patching;
using Sigil.LocalControlPlane.Schema;
using Sigil.LocalControlPlane.Selection;
using Sigil.LocalControlPlane.Storage;
using Sigil.LocalControlPlane.ValidationRules;

namespace Sigil.LocalControlPlane.Semantics;

/// <param name="FieldManager">Who writes, for managedFields; null: the write is not tracked (the emulator's own writes).</param>
/// <param name="Force">An apply takes fields other managers own instead of failing with a conflict.</param>
/// <param name="IsApply">The body is a server-side apply's result, whose managedFields are already decided.</param>
internal sealed record WriteOptions(bool DryRun = false, string FieldValidation = "Warn", string? FieldManager = null, bool Force = false, bool IsApply = false);

internal sealed record DeleteOptions(string Propagation = "Background", string? PreconditionUid = null, string? PreconditionResourceVersion = null);

internal sealed record WriteResult(JsonObject Object, int StatusCode, IReadOnlyList<string> Warnings);

internal sealed record ListResult(IReadOnlyList<JsonObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>
/// kube-apiserver's object semantics over the <see cref="ObjectStore"/>: names and generateName, uid,
/// generation, optimistic concurrency, status subresources, CRD schemas, finalizers, cascading deletion
/// through ownerReferences, namespace lifecycle, and the views (API versions) objects are served in.
/// </summary>
internal sealed partial class ObjectService(ObjectStore store, ResourceCatalog catalog, TimeProvider time)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public JsonObject Get(ResourceType type, string ns, string name) =>
        store.Read(tx => tx.Get(type.StorageKey, ns, name)) is { } stored
            ? ToView(type, stored)
            : throw ApiException.NotFound(type.GroupResource, name);

    public ListResult List(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, int? limit, string? continueToken)
    {
        var (all, rv) = store.Read(tx => (tx.List(type.StorageKey, ns), tx.ResourceVersion));
        var after = continueToken is null ? null : DecodeContinue(continueToken);
        var matching = all
            .Where(o => after is null || string.CompareOrdinal(o.Namespace() + "/" + o.Name(), after) > 0)
            .Select(o => ToView(type, o))
            .Where(o => labels.Matches(o) && fields.Matches(o))
            .ToList();
        if (limit is > 0 && matching.Count > limit)
        {
            var page = matching.Take(limit.Value).ToList();
            var last = page[^1];
            return new ListResult(page, rv, EncodeContinue(rv, last.Namespace() + "/" + last.Name()), matching.Count - page.Count);
        }
        return new ListResult(matching, rv, null, null);
    }

    public WriteResult Create(ResourceType type, string ns, JsonObject body, WriteOptions options)
    {
        Json.RequireDepthWithinLimit(body, exceptManagedFields: options.IsApply);
        return store.Write(tx => CreateLocked(tx, type, ns, body, options), options.DryRun);
    }

    private WriteResult CreateLocked(ObjectStore.ITransaction tx, ResourceType type, string ns, JsonObject body, WriteOptions options)
    {
        var obj = FromView(type, body);
        var metadata = obj.Metadata();
        if (type.Namespaced)
        {
            var bodyNamespace = metadata.Str("namespace");
            if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != ns)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            metadata["namespace"] = ns;
            RequireLiveNamespace(tx, ns);
        }
        else
        {
            metadata.Remove("namespace");
        }
        if (string.IsNullOrEmpty(metadata.Str("name")) && metadata.Str("generateName") is { Length: > 0 } prefix)
        {
            metadata["name"] = prefix + RandomNumberGenerator.GetString(GenerateNameAlphabet, 5);
        }
        var name = metadata.Str("name") ?? "";
        var warnings = new List<string>();
        var causes = ValidateName(type, name, obj);
        if (causes.Count > 0)
        {
            throw ApiException.Invalid(type.KindGroup, name, causes);
        }
        if (tx.Exists(type.StorageKey, obj.Namespace(), name))
        {
            throw ApiException.AlreadyExists(type.GroupResource, name);
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Json.Timestamp(time.GetUtcNow());
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("resourceVersion");
        if (type.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        if (type.HasStatus)
        {
            obj.Remove("status");
        }
        ApplyKindRules(type, obj, null);
        PrepareCustom(type, obj, options, warnings);
        RecordManagedFields(type, null, obj, null, options);

        var stored = tx.Put(type.StorageKey, obj);
        if (!options.DryRun)
        {
            AfterWrite(type, stored);
            // kube-apiserver accepts an object whose owners are all gone (a controller that wrote for an owner deleted a
            // moment before), and its garbage collector then deletes it; here that collection happens at once.
            if (ObjectStore.OwnerUids(stored).ToList() is { Count: > 0 } owners && !owners.Any(tx.UidExists))
            {
                RemoveAndCollect(tx, type.StorageKey, stored, "Background");
            }
        }
        return new WriteResult(ToView(type, stored), 201, warnings);
    }

    public WriteResult Update(ResourceType type, string ns, string name, JsonObject body, string? subresource, WriteOptions options) =>
        store.Write(tx =>
        {
            var current = tx.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.GroupResource, name);
            if (body.Name() != name)
            {
                throw ApiException.BadRequest($"the name of the object ({body.Name()}) does not match the name on the URL ({name})");
            }
            var expected = body.Metadata().Str("resourceVersion");
            if (!string.IsNullOrEmpty(expected) && expected != current.Metadata().Str("resourceVersion"))
            {
                throw ApiException.Conflict(type.GroupResource, name);
            }
            return Commit(tx, type, current, FromView(type, body), subresource, options);
        }, options.DryRun);

    public WriteResult Patch(ResourceType type, string ns, string name, string contentType, string patchText, string? subresource, WriteOptions options) =>
        store.Write(tx =>
        {
            RequireSupportedPatch(type, contentType);
            var current = tx.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.GroupResource, name);
            var view = ToView(type, current);
            var patched = contentType switch
            {
                "application/merge-patch+json" => JsonMergePatch.Apply(view, Json.ParseObject(patchText)),
                "application/json-patch+json" => JsonPatch.Apply(view, ParseArray(patchText)),
                _ => StrategicMergePatch.Apply(view, Json.ParseObject(patchText), ApplySchema.For(type)),
            } as JsonObject ?? throw ApiException.BadRequest("the patch must produce a JSON object");

            var patchedMetadata = patched.Metadata();
            if (patchedMetadata.Str("name") != name)
            {
                throw ApiException.BadRequest("the patch may not change metadata.name");
            }
            var expected = patchedMetadata.Str("resourceVersion");
            if (!string.IsNullOrEmpty(expected) && expected != current.Metadata().Str("resourceVersion"))
            {
                throw ApiException.Conflict(type.GroupResource, name);
            }
            return Commit(tx, type, current, FromView(type, patched), subresource, options);
        }, options.DryRun);

    public JsonObject Delete(ResourceType type, string ns, string name, DeleteOptions options, bool dryRun) => store.Write(tx =>
    {
        var current = tx.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.GroupResource, name);
        if (options.PreconditionUid is { } uid && uid != current.Uid())
        {
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {type.GroupResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid()}");
        }
        if (options.PreconditionResourceVersion is { } rv && rv != current.Metadata().Str("resourceVersion"))
        {
            throw ApiException.Conflict(type.GroupResource, name);
        }
        return ToView(type, type.StorageKey == "namespaces"
            ? DeleteNamespace(tx, current)
            : DeleteObject(tx, type.StorageKey, current, options.Propagation));
    }, dryRun);

    public JsonObject DeleteCollection(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, DeleteOptions options, bool dryRun) =>
        store.Write(tx =>
        {
            var deleted = tx.List(type.StorageKey, ns)
                .Where(o => labels.Matches(ToView(type, o)) && fields.Matches(ToView(type, o)))
                .Select(o => ToView(type, DeleteObject(tx, type.StorageKey, o, options.Propagation)))
                .ToArray();
            return new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = tx.ResourceVersion.ToString() },
                ["items"] = new JsonArray(deleted),
            };
        }, dryRun);

    /// <summary>
    /// Opens a watch and returns how to turn stored events into what this watcher sees: the requested
    /// view, filtered by selectors, with MODIFIED becoming ADDED or DELETED when an object enters or
    /// leaves the selection.
    /// </summary>
    public WatchHandle Watch(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, long? fromResourceVersion)
    {
        bool Matches(JsonObject view) => labels.Matches(view) && fields.Matches(view);
        var subscription = store.Subscribe(type.StorageKey, ns, fromResourceVersion, o => Matches(ForMatching(type, o)));
        return new WatchHandle(subscription, e =>
        {
            var view = ToView(type, e.Object);
            var now = Matches(view);
            var before = e.Previous is not null && Matches(ForMatching(type, e.Previous));
            return e.Type switch
            {
                "ADDED" when now => ("ADDED", view),
                "MODIFIED" when now && before => ("MODIFIED", view),
                "MODIFIED" when now => ("ADDED", view),
                "MODIFIED" when before => ("DELETED", view),
                "DELETED" when now || before => ("DELETED", view),
                _ => null,
            };
        });
    }

    internal sealed record WatchHandle(ObjectStore.Subscription Subscription, Func<StoredEvent, (string Type, JsonObject Object)?> Translate);

    // Selectors read labels and fields, never apiVersion or kind: only events.k8s.io's view has fields of its own to match.
    private static JsonObject ForMatching(ResourceType type, JsonObject stored) => type is { Group: "events.k8s.io" } ? ToView(type, stored) : stored;

    public static JsonObject ToView(ResourceType type, JsonObject stored)
    {
        var view = type is { Group: "events.k8s.io" } ? EventViews.ToEventsV1(stored) : stored.Clone();
        view["apiVersion"] = type.ApiVersion;
        view["kind"] = type.Kind;
        return view;
    }

    private static JsonObject FromView(ResourceType type, JsonObject view)
    {
        var stored = type is { Group: "events.k8s.io" } ? EventViews.ToCore(view) : view.Clone();
        stored["apiVersion"] = type is { Group: "events.k8s.io" } ? "v1" : type.ApiVersion;
        stored["kind"] = type.Kind;
        return stored;
    }

    private WriteResult Commit(ObjectStore.ITransaction tx, ResourceType type, JsonObject current, JsonObject desired, string? subresource, WriteOptions options)
    {
        // A patch can place a value deep inside the object it patches, so the result is checked, not only the body.
        Json.RequireDepthWithinLimit(desired, exceptManagedFields: true);
        var warnings = new List<string>();
        var appliedManagedFields = desired.Metadata()["managedFields"]?.DeepClone();
        if (subresource == "status")
        {
            var status = desired["status"]?.DeepClone();
            desired = current.Clone();
            desired["status"] = status;
            if (status is null)
            {
                desired.Remove("status");
            }
        }
        else if (subresource is not null)
        {
            throw ApiException.NotFound(type.GroupResource + "/" + subresource, current.Name());
        }
        else if (type.HasStatus)
        {
            desired["status"] = current["status"]?.DeepClone();
            if (current["status"] is null)
            {
                desired.Remove("status");
            }
        }

        var metadata = desired.Metadata();
        var currentMetadata = current.Metadata();
        foreach (var preserved in new[] { "uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            metadata[preserved] = currentMetadata[preserved]?.DeepClone();
            if (metadata[preserved] is null)
            {
                metadata.Remove(preserved);
            }
        }
        ApplyKindRules(type, desired, current);
        PrepareCustom(type, desired, options, warnings, current);
        if (options.IsApply)
        {
            metadata["managedFields"] = appliedManagedFields;
        }
        RecordManagedFields(type, current, desired, subresource, options);
        if (type.TracksGeneration && !JsonNode.DeepEquals(Spec(current), Spec(desired)))
        {
            metadata["generation"] = (long)(currentMetadata["generation"] is { } g ? Json.Number(g) : 0) + 1;
        }

        if (metadata["deletionTimestamp"] is not null && Finalizers(desired).Count == 0)
        {
            return new WriteResult(ToView(type, RemoveAndCollect(tx, type.StorageKey, desired, "Background")), 200, warnings);
        }
        metadata["resourceVersion"] = currentMetadata["resourceVersion"]?.DeepClone();
        if (JsonNode.DeepEquals(desired, current))
        {
            return new WriteResult(ToView(type, current), 200, warnings);
        }
        var stored = tx.Put(type.StorageKey, desired);
        if (!options.DryRun)
        {
            AfterWrite(type, stored);
        }
        return new WriteResult(ToView(type, stored), 200, warnings);
    }

    /// <summary>Checked before the object is looked up, as kube-apiserver does, so a create-by-apply gets 415, not 404.</summary>
    private static void RequireSupportedPatch(ResourceType type, string contentType)
    {
        switch (contentType)
        {
            case "application/merge-patch+json" or "application/json-patch+json":
            case "application/strategic-merge-patch+json" when type.IsBuiltIn:
                return;
            default:
                throw ApiException.UnsupportedMediaType(
                    $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json{(type.IsBuiltIn ? ", application/strategic-merge-patch+json" : "")}");
        }
    }

    /// <summary>
    /// Server-side apply (PATCH with application/apply-patch+yaml): merges the manager's configuration into the
    /// live object, or creates it (201) when there is none, and fails with kube-apiserver's conflict when it would
    /// change fields another manager owns, unless forced. An apply that creates is a create: kube-apiserver asks the
    /// authorizer for the create verb on that path (withAuthorization in handlers/patch.go), so
    /// <paramref name="authorizeCreate"/> runs, and may refuse, before anything is created.
    /// </summary>
    public WriteResult Apply(ResourceType type, string ns, string name, string configText, string? subresource, WriteOptions options, Action authorizeCreate)
    {
        // Parsed before the store's write lock is taken, so a hostile body holds up only its own request.
        var config = ApplyConfiguration.Parse(configText);
        return store.Write(tx =>
        {
            RequireApplicable(type, ns, name, config);
            var manager = options.FieldManager ?? "";
            var scope = new OwnershipScope(ApplySchema.For(type), type.ApiVersion, subresource, type.HasStatus, Json.Timestamp(time.GetUtcNow()), type.IsBuiltIn);
            var current = tx.Get(type.StorageKey, ns, name);
            var expected = config.Metadata().Str("resourceVersion");
            if (!string.IsNullOrEmpty(expected) && expected != current?.Metadata().Str("resourceVersion"))
            {
                throw current is null ? ApiException.NotFound(type.GroupResource, name) : ApiException.Conflict(type.GroupResource, name);
            }
            if (current is null && subresource is not null)
            {
                throw ApiException.NotFound(type.GroupResource, name);
            }
            var owned = config.Clone();
            if (type.Schema is { } schema)
            {
                StructuralSchema.Prune(owned, schema);
            }
            var (merged, conflicts) = FieldOwnership.Apply(scope, current is null ? null : ToView(type, current), config, manager, options.Force, owned);
            if (merged is null)
            {
                throw FieldOwnership.ConflictError(conflicts);
            }
            var applyOptions = options with { IsApply = true };
            if (current is null)
            {
                authorizeCreate();
            }
            return current is null
                ? Create(type, ns, merged, applyOptions)
                : Commit(tx, type, current, FromView(type, merged), subresource, applyOptions);
        }, options.DryRun);
    }

    /// <summary>An applied configuration names the object it is sent to, and leaves managedFields to the server.</summary>
    private static void RequireApplicable(ResourceType type, string ns, string name, JsonObject config)
    {
        if (config.Str("apiVersion") is { } apiVersion && apiVersion != type.ApiVersion || config.Str("kind") is { } kind && kind != type.Kind)
        {
            throw ApiException.BadRequest(
                $"the apply configuration's apiVersion and kind ({config.Str("apiVersion")}, {config.Str("kind")}) do not match the request ({type.ApiVersion}, {type.Kind})");
        }
        var metadata = config.Metadata();
        if (metadata.Str("name") is { Length: > 0 } bodyName && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }
        if (type.Namespaced && metadata.Str("namespace") is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        if (metadata["managedFields"] is not null)
        {
            throw ApiException.BadRequest("metadata.managedFields must be nil");
        }
        metadata["name"] = name;
    }

    /// <summary>managedFields after a create, update or non-apply patch (kube-apiserver's Update operation).</summary>
    private void RecordManagedFields(ResourceType type, JsonObject? current, JsonObject desired, string? subresource, WriteOptions options)
    {
        if (options.IsApply)
        {
            return;
        }
        var metadata = desired.Metadata();
        if (options.FieldManager is not { } manager)
        {
            metadata["managedFields"] = current?.Metadata()["managedFields"]?.DeepClone();
        }
        else
        {
            var scope = new OwnershipScope(ApplySchema.For(type), type.ApiVersion, subresource, type.HasStatus, Json.Timestamp(time.GetUtcNow()), type.IsBuiltIn);
            metadata["managedFields"] = FieldOwnership.Update(scope, current, desired, manager);
        }
        if (metadata["managedFields"] is not JsonArray { Count: > 0 })
        {
            metadata.Remove("managedFields");
        }
    }

    private static JsonObject Spec(JsonObject obj)
    {
        var copy = obj.Clone();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    /// <summary>Defaults, pruning and validation against a CRD version's schema (custom resources only).</summary>
    private static void PrepareCustom(ResourceType type, JsonObject obj, WriteOptions options, List<string> warnings, JsonObject? current = null)
    {
        if (type.Schema is not { } schema)
        {
            return;
        }
        StructuralSchema.ApplyDefaults(obj, schema);
        var pruned = StructuralSchema.Prune(obj, schema);
        if (pruned.Count > 0 && options.FieldValidation == "Strict")
        {
            throw ApiException.BadRequest("strict decoding error: " + string.Join(", ", pruned.Select(p => $"unknown field \"{p}\"")));
        }
        if (options.FieldValidation != "Ignore")
        {
            warnings.AddRange(pruned.Select(p => $"unknown field \"{p}\""));
        }
        var causes = StructuralSchema.Validate(obj, schema);
        causes.AddRange(CustomResourceRules.Check(type, obj, current, causes));
        if (causes.Count > 0)
        {
            throw ApiException.Invalid(type.KindGroup, obj.Name(), causes);
        }
    }

    /// <summary>What individual built-in kinds do on write in a real cluster, where clients rely on it.</summary>
    private void ApplyKindRules(ResourceType type, JsonObject obj, JsonObject? current)
    {
        switch (type.StorageKey)
        {
            case "secrets":
                if (string.IsNullOrEmpty(obj.Str("type")))
                {
                    obj["type"] = current?["type"]?.DeepClone() ?? "Opaque";
                }
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = obj["data"] as JsonObject ?? [];
                    foreach (var (key, value) in stringData)
                    {
                        data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Json.ScalarText(value) ?? ""));
                    }
                    obj["data"] = data;
                    obj.Remove("stringData");
                }
                break;
            case "namespaces":
                var labels = obj.Metadata()["labels"] as JsonObject ?? [];
                labels["kubernetes.io/metadata.name"] = obj.Name();
                obj.Metadata()["labels"] = labels;
                obj["status"] ??= new JsonObject { ["phase"] = "Active" };
                break;
            case "clustertrustbundles":
                var bundleCauses = ClusterTrustBundleRules.ValidateSpec(obj, current);
                if (bundleCauses.Count > 0)
                {
                    throw ApiException.Invalid(type.KindGroup, obj.Name(), bundleCauses);
                }
                break;
            case "podcertificaterequests":
                PodCertificateRequestRules.ApplyDefaults(obj);
                var requestCauses = PodCertificateRequestRules.Validate(obj, current, time.GetUtcNow());
                if (requestCauses.Count > 0)
                {
                    throw ApiException.Invalid(type.KindGroup, obj.Name(), requestCauses);
                }
                break;
            case "customresourcedefinitions":
                var causes = CrdRegistration.Validate(obj);
                if (causes.Count > 0)
                {
                    throw ApiException.Invalid(type.KindGroup, obj.Name(), causes);
                }
                obj["status"] = CrdRegistration.EstablishedStatus(obj, Json.Timestamp(time.GetUtcNow()));
                break;
        }
    }

    private void AfterWrite(ResourceType type, JsonObject stored)
    {
        if (type.StorageKey == "customresourcedefinitions")
        {
            catalog.SetCustom(stored.Name(), CrdRegistration.ServedVersions(stored));
        }
    }

    private static void RequireLiveNamespace(ObjectStore.IStoreView tx, string ns)
    {
        var namespaceObject = tx.Get("namespaces", "", ns) ?? throw ApiException.NotFound("namespaces", ns);
        if (namespaceObject.Metadata()["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    /// <summary>Deletes now, or marks for deletion while finalizers remain.</summary>
    private JsonObject DeleteObject(ObjectStore.ITransaction tx, string storageKey, JsonObject obj, string propagation)
    {
        if (Finalizers(obj).Count > 0)
        {
            if (obj.Metadata()["deletionTimestamp"] is not null)
            {
                return obj;
            }
            obj.Metadata()["deletionTimestamp"] = Json.Timestamp(time.GetUtcNow());
            obj.Metadata()["deletionGracePeriodSeconds"] = 0;
            return tx.Put(storageKey, obj);
        }
        return RemoveAndCollect(tx, storageKey, obj, propagation);
    }

    /// <summary>Removes an object, then what depended on it: dependents, a CRD's objects, an emptied terminating namespace.</summary>
    private JsonObject RemoveAndCollect(ObjectStore.ITransaction tx, string storageKey, JsonObject obj, string propagation)
    {
        var removed = tx.Remove(storageKey, obj.Namespace(), obj.Name()) ?? obj;
        if (storageKey == "customresourcedefinitions")
        {
            tx.RemoveCollection(removed.Name());
            catalog.RemoveCustom(removed.Name());
        }
        foreach (var dependent in tx.DependentsOf(removed.Uid()))
        {
            if (tx.Get(dependent.StorageKey, dependent.Namespace, dependent.Name) is not { } child)
            {
                continue;
            }
            if (propagation == "Orphan")
            {
                var refs = (JsonArray)child.Metadata()["ownerReferences"]!;
                child.Metadata()["ownerReferences"] = new JsonArray(refs.Where(r => r.Str("uid") != removed.Uid()).Select(r => r?.DeepClone()).ToArray());
                tx.Put(dependent.StorageKey, child);
            }
            else if (!ObjectStore.OwnerUids(child).Any(tx.UidExists))
            {
                DeleteObject(tx, dependent.StorageKey, child, propagation);
            }
        }
        if (removed.Namespace() is { Length: > 0 } ns && tx.Get("namespaces", "", ns) is { } owningNamespace
            && owningNamespace.Metadata()["deletionTimestamp"] is not null && IsEmpty(tx, ns))
        {
            tx.Remove("namespaces", "", ns);
        }
        return removed;
    }

    private JsonObject DeleteNamespace(ObjectStore.ITransaction tx, JsonObject ns)
    {
        if (ns.Metadata()["deletionTimestamp"] is null)
        {
            ns.Metadata()["deletionTimestamp"] = Json.Timestamp(time.GetUtcNow());
            ns["status"] = new JsonObject { ["phase"] = "Terminating" };
            ns = tx.Put("namespaces", ns);
        }
        foreach (var storageKey in NamespacedStorageKeys())
        {
            foreach (var obj in tx.List(storageKey, ns.Name()))
            {
                DeleteObject(tx, storageKey, obj, "Background");
            }
        }
        if (IsEmpty(tx, ns.Name()))
        {
            return tx.Remove("namespaces", "", ns.Name()) ?? ns;
        }
        return ns;
    }

    private bool IsEmpty(ObjectStore.IStoreView tx, string ns) => NamespacedStorageKeys().All(k => !tx.List(k, ns).Any());

    private IEnumerable<string> NamespacedStorageKeys() => catalog.All.Where(r => r.Namespaced).Select(r => r.StorageKey).Distinct();

    private static List<string> Finalizers(JsonObject obj) =>
        (obj.Metadata()["finalizers"] as JsonArray)?.Select(Json.ScalarText).OfType<string>().ToList() ?? [];

    private static List<FieldCause> ValidateName(ResourceType type, string name, JsonObject obj)
    {
        if (name.Length == 0)
        {
            return [new FieldCause("FieldValueRequired", "metadata.name", "metadata.name: Required value: name or generateName is required")];
        }
        if (type.StorageKey == "clustertrustbundles")
        {
            return ClusterTrustBundleRules.ValidateName(name, Json.PathText(obj, "spec.signerName"));
        }
        var isLabel = type.StorageKey == "namespaces";
        var valid = isLabel ? name.Length <= 63 && DnsLabel().IsMatch(name) : name.Length <= 253 && DnsSubdomain().IsMatch(name);
        return valid ? [] :
        [
            FieldCause.Invalid("metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 {(isLabel ? "label" : "subdomain")} must consist of lower case alphanumeric characters, '-'{(isLabel ? "" : " or '.'")}, and must start and end with an alphanumeric character"),
        ];
    }

    private static JsonArray ParseArray(string text) =>
        JsonNode.Parse(text) as JsonArray ?? throw ApiException.BadRequest("a JSON patch must be a JSON array of operations");

    private static string EncodeContinue(long rv, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rv}|{lastKey}"));

    private static string DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text[(text.IndexOf('|') + 1)..];
        }
        catch (FormatException)
        {
            throw ApiException.BadRequest("continue key is not valid: illegal base64 data");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
