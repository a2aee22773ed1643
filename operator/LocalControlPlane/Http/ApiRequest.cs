namespace Sigil.LocalControlPlane.Http;

/// <summary>A resource request's coordinates, parsed from its path and method as kube-apiserver does.</summary>
internal sealed record ApiRequest(string Verb, string Group, string Version, string Resource, string? Subresource, string? Namespace, string? Name)
{
    /// <summary>
    /// Parses <c>/api/v1/...</c> and <c>/apis/{group}/{version}/...</c> resource paths; returns null for
    /// anything else (discovery, version, openapi), which the caller serves separately.
    /// </summary>
    public static ApiRequest? Parse(string method, string path, bool watch)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        string[] rest;
        if (segments is ["api", var v, .. var r1])
        {
            (group, version, rest) = ("", v, r1);
        }
        else if (segments is ["apis", var g, var v2, .. var r2])
        {
            (group, version, rest) = (g, v2, r2);
        }
        else
        {
            return null;
        }
        if (rest.Length == 0)
        {
            return null;
        }

        string? ns = null;
        if (rest is ["namespaces", var n, var resource, ..] && resource is not ("status" or "finalize"))
        {
            ns = n;
            rest = rest[2..];
        }
        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        var verb = method switch
        {
            "GET" when name is null => watch ? "watch" : "list",
            "GET" => watch ? "watch" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when name is null => "deletecollection",
            "DELETE" => "delete",
            _ => method.ToLowerInvariant(),
        };
        return new ApiRequest(verb, group, version, rest[0], subresource, ns, name);
    }
}
