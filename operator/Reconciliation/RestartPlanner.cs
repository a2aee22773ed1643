using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Observability;

namespace Sigil.Reconciliation;

/// <summary>
/// Rolls spec.restartOnRotation workloads after the identity's credentials change, by setting the pod
/// template annotation sigil.dev/restartedAt (what kubectl rollout restart does). Changes that land within
/// <see cref="Coalesce"/> of each other become one restart: a workload is rolled once the last change is that
/// old, and only if its restartedAt is older than the change. A missing workload is a warning event, not a failure.
/// </summary>
internal sealed class RestartPlanner(IKubernetes client, EventRecorder events, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan Coalesce = TimeSpan.FromSeconds(5);

    // Workers reconcile different identities at once, so this is shared between them.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _warnedMissing = new();

    /// <returns>When to look again (a coalescing window still open), or null.</returns>
    public async Task<DateTimeOffset?> ReconcileAsync(ServiceIdentity identity, DateTimeOffset? lastChange, DateTimeOffset now, CancellationToken ct)
    {
        if (lastChange is not { } changed || (identity.Spec.RestartOnRotation ?? []).Count == 0)
        {
            return null;
        }
        if (now < changed + Coalesce)
        {
            return changed + Coalesce;
        }
        var ns = identity.Metadata.NamespaceProperty;
        foreach (var workload in identity.Spec.RestartOnRotation!)
        {
            var annotations = await ReadTemplateAnnotationsAsync(workload, ns, ct);
            if (annotations is null)
            {
                var key = $"{ns}/{workload.Kind}/{workload.Name}";
                if (!_warnedMissing.TryGetValue(key, out var warned) || warned != changed)
                {
                    _warnedMissing[key] = changed;
                    await events.RecordAsync(identity, "Warning", Reasons.RolloutRestarted, "Restart",
                        $"{workload.Kind} {workload.Name} was not found, so it was not restarted after the credentials changed", ct);
                }
                continue;
            }
            if (annotations.TryGetValue(Labels.RestartedAtAnnotation, out var text) && DateTimeOffset.TryParse(text, out var restartedAt) && restartedAt >= changed)
            {
                continue;
            }
            var stamp = Timestamps.Format(time.GetUtcNow());
            var patch = Runtime.MergePatches.SetAnnotation(Labels.RestartedAtAnnotation, stamp, "spec", "template");
            await (workload.Kind switch
            {
                "StatefulSet" => client.AppsV1.PatchNamespacedStatefulSetAsync(patch, workload.Name, ns, cancellationToken: ct) as Task,
                "DaemonSet" => client.AppsV1.PatchNamespacedDaemonSetAsync(patch, workload.Name, ns, cancellationToken: ct),
                _ => client.AppsV1.PatchNamespacedDeploymentAsync(patch, workload.Name, ns, cancellationToken: ct),
            });
            logger.LogInformation("Restarted {Kind} {Namespace}/{Workload} after credentials of {Name} changed", workload.Kind, ns, workload.Name, identity.Metadata.Name);
            await events.RecordAsync(identity, "Normal", Reasons.RolloutRestarted, "Restart", $"Restarted {workload.Kind} {workload.Name} after its credentials changed", ct);
        }
        return null;
    }

    private async Task<IDictionary<string, string>?> ReadTemplateAnnotationsAsync(WorkloadReference workload, string ns, CancellationToken ct)
    {
        try
        {
            var template = workload.Kind switch
            {
                "StatefulSet" => (await client.AppsV1.ReadNamespacedStatefulSetAsync(workload.Name, ns, cancellationToken: ct)).Spec.Template,
                "DaemonSet" => (await client.AppsV1.ReadNamespacedDaemonSetAsync(workload.Name, ns, cancellationToken: ct)).Spec.Template,
                _ => (await client.AppsV1.ReadNamespacedDeploymentAsync(workload.Name, ns, cancellationToken: ct)).Spec.Template,
            };
            return template.Metadata?.Annotations ?? new Dictionary<string, string>();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
