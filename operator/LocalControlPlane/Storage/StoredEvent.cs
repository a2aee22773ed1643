using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Storage;

/// <summary>One change in the store's history: what watches replay and stream.</summary>
/// <param name="Previous">The object before the change (null for ADDED), so selector watches can turn
/// a MODIFIED that leaves or enters their selection into DELETED or ADDED, as kube-apiserver does.</param>
internal sealed record StoredEvent(long ResourceVersion, string Type, string StorageKey, JsonObject Object, JsonObject? Previous);
