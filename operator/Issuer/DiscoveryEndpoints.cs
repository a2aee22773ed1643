using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Sigil.Issuer;

/// <summary>
/// GET (and HEAD) /.well-known/openid-configuration and /keys, answered from the documents rendered for the current
/// snapshot; If-None-Match answers 304. Routing gives 404 for other paths and 405 (with Allow) for other methods.
/// No request body is read.
/// </summary>
internal static class DiscoveryEndpoints
{
    private static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    /// <param name="pathPrefix">The path of --issuer-url ("" for none): clients append /.well-known/openid-configuration
    /// to the issuer and follow jwks_uri, so behind a proxy that keeps the path both must answer under it too.</param>
    public static void Map(IEndpointRouteBuilder routes, string pathPrefix, Func<IssuerDocuments> documents)
    {
        foreach (var prefix in new[] { "", pathPrefix }.Distinct(StringComparer.Ordinal))
        {
            routes.MapMethods(prefix + IssuerDocuments.DiscoveryPath, GetOrHead, context => ServeAsync(context, documents().Discovery));
            routes.MapMethods(prefix + IssuerDocuments.KeysPath, GetOrHead, context => ServeAsync(context, documents().Keys));
        }
    }

    public static async Task ServeAsync(HttpContext context, IssuerDocument document)
    {
        var response = context.Response;
        response.Headers.CacheControl = document.CacheControl;
        response.Headers.ETag = document.ETag;
        if (Matches(context.Request.GetTypedHeaders().IfNoneMatch, document.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = document.ContentType;
        response.ContentLength = document.Body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(document.Body, context.RequestAborted);
        }
    }

    // RFC 9110 13.1.2: If-None-Match uses the weak comparison, and * matches any current representation.
    private static bool Matches(IList<EntityTagHeaderValue> ifNoneMatch, string etag)
    {
        var current = EntityTagHeaderValue.Parse(etag);
        return ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }
}
