using System.Collections.Concurrent;

namespace Sigil.LocalControlPlane.Http;

/// <summary>One request the emulator served, as RBAC sees it.</summary>
public sealed record RecordedRequest(string User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name);

/// <summary>
/// Every resource request the control plane has served, so tests can count API calls
/// (verb, resource, namespace) and check what a client really did.
/// </summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public IReadOnlyList<RecordedRequest> All => [.. _requests];

    public int Count(string? verb = null, string? resource = null, string? ns = null, string? subresource = null) =>
        _requests.Count(r => (verb is null || r.Verb == verb) && (resource is null || r.Resource == resource)
            && (ns is null || r.Namespace == ns) && (subresource is null || r.Subresource == subresource));

    /// <summary>Writes are what cost a real API server: create, update, patch, delete.</summary>
    public int Writes(string? resource = null, string? ns = null) =>
        _requests.Count(r => r.Verb is "create" or "update" or "patch" or "delete" or "deletecollection"
            && (resource is null || r.Resource == resource) && (ns is null || r.Namespace == ns));

    public void Clear() => _requests.Clear();

    internal void Add(RecordedRequest request) => _requests.Enqueue(request);
}
