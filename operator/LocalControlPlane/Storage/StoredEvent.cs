using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Storage;

/// <summary>
/// One change in the store's history: what watches replay and stream. <paramref name="Object"/> and <paramref name="Previous"/>
/// are the store's own instances, shared with every watcher and never changed: a watcher that needs to change one copies it.
/// </summary>
/// <param name="Previous">The object before the change (null for ADDED), so selector watches can turn
/// a MODIFIED that leaves or enters their selection into DELETED or ADDED, as kube-apiserver does.</param>
internal sealed record StoredEvent(long ResourceVersion, string Type, string StorageKey, JsonObject Object, JsonObject? Previous);
