using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>
/// core/v1 and events.k8s.io/v1 Events are two views of the same stored objects, as in a real cluster.
/// Storage holds the core/v1 shape; these map field by field (regarding ↔ involvedObject, note ↔ message,
/// reportingController ↔ reportingComponent, deprecated* ↔ source/firstTimestamp/lastTimestamp/count).
/// </summary>
internal static class EventViews
{
    private static readonly (string Core, string Events)[] Renames =
    [
        ("involvedObject", "regarding"),
        ("message", "note"),
        ("reportingComponent", "reportingController"),
        ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
    ];

    public static JsonObject ToEventsV1(JsonObject core) => Rename(core, fromCore: true, "events.k8s.io/v1");

    public static JsonObject ToCore(JsonObject eventsV1) => Rename(eventsV1, fromCore: false, "v1");

    private static JsonObject Rename(JsonObject source, bool fromCore, string apiVersion)
    {
        var result = source.Clone();
        foreach (var (core, events) in Renames)
        {
            var (from, to) = fromCore ? (core, events) : (events, core);
            if (result.Remove(from, out var value))
            {
                result[to] = value;
            }
        }
        result["apiVersion"] = apiVersion;
        result["kind"] = "Event";
        return result;
    }
}
