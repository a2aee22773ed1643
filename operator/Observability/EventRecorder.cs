using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;

namespace Sigil.Observability;

/// <summary>
/// Writes events.k8s.io/v1 Events about identities (kubectl describe shows them). Notes carry serials and
/// fingerprints, never key material. A failed event write is logged, never fatal.
/// </summary>
internal sealed class EventRecorder(IKubernetes client, string reportingInstance, TimeProvider time, ILogger logger)
{
    public const string Controller = "sigil.dev/operator";

    public Task RecordAsync(ServiceIdentity identity, string type, string reason, string action, string note, CancellationToken ct) =>
        RecordAsync(new V1ObjectReference
        {
            ApiVersion = ServiceIdentity.GroupVersion,
            Kind = ServiceIdentity.KindName,
            Name = identity.Metadata.Name,
            NamespaceProperty = identity.Metadata.NamespaceProperty,
            Uid = identity.Metadata.Uid,
            ResourceVersion = identity.Metadata.ResourceVersion,
        }, type, reason, action, note, ct);

    /// <summary>An event about a Secret (the CA's): `kubectl describe secret` and `kubectl get events` show it.</summary>
    public Task RecordForSecretAsync(string ns, string name, string type, string reason, string action, string note, CancellationToken ct) =>
        RecordAsync(new V1ObjectReference { ApiVersion = "v1", Kind = "Secret", Name = name, NamespaceProperty = ns }, type, reason, action, note, ct);

    private async Task RecordAsync(V1ObjectReference regarding, string type, string reason, string action, string note, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ev = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{regarding.Name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}",
                NamespaceProperty = regarding.NamespaceProperty,
            },
            EventTime = now,
            Regarding = regarding,
            Reason = reason,
            Action = action,
            Note = note.Length > 1024 ? note[..1024] : note,
            Type = type,
            ReportingController = Controller,
            ReportingInstance = reportingInstance,
        };
        try
        {
            await client.EventsV1.CreateNamespacedEventAsync(ev, regarding.NamespaceProperty, cancellationToken: ct);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            logger.LogWarning("Could not record event {Reason} for {Namespace}/{Name}: {Status}", reason, regarding.NamespaceProperty, regarding.Name, e.Response.StatusCode);
        }
    }
}
