using k8s.Models;

namespace Sigil.Tests.Support;

internal static class TestEvents
{
    /// <summary>An events.k8s.io/v1 "Issued" event about <paramref name="regarding"/>, as the operator records one.</summary>
    public static Eventsv1Event Issued(string name, V1ObjectReference regarding, string note) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        EventTime = DateTime.UtcNow,
        Regarding = regarding,
        Reason = "Issued",
        Note = note,
        Type = "Normal",
        Action = "Issue",
        ReportingController = "sigil.dev/operator",
        ReportingInstance = "sigil-0",
    };
}
