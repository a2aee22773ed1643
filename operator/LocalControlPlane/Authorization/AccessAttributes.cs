namespace Sigil.LocalControlPlane.Authorization;

/// <summary>
/// What a request (or an access review) asks to do, as kube-apiserver's authorizer.Attributes: either a resource
/// request (verb, API group, resource, subresource, namespace, name) or a non-resource request (verb on a path).
/// An empty namespace means the cluster scope (or every namespace, for a list).
/// </summary>
internal sealed record AccessAttributes(string Verb, string Group, string Resource, string? Subresource = null, string? Namespace = null, string? Name = null)
{
    /// <summary>The URL path of a non-resource request (<c>/version</c>, <c>/healthz</c>); null for resource requests.</summary>
    public string? Path { get; init; }

    public string CombinedResource => string.IsNullOrEmpty(Subresource) ? Resource : $"{Resource}/{Subresource}";

    public static AccessAttributes NonResource(string verb, string path) => new(verb, "", "") { Path = path };
}
