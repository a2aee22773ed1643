using Sigil.LocalControlPlane.Http;

namespace Sigil.LocalControlPlane.Tests.Http;

public sealed class ApiRequestTests
{
    public static TheoryData<string, string, bool, string> Paths => new()
    {
        { "GET", "/api/v1/namespaces", false, "list  namespaces - - -" },
        { "GET", "/api/v1/namespaces/default", false, "get  namespaces - default -" },
        { "PUT", "/api/v1/namespaces/default/finalize", false, "update  namespaces - default finalize" },
        { "GET", "/api/v1/namespaces/shop/secrets", true, "watch  secrets shop - -" },
        { "DELETE", "/api/v1/namespaces/shop/secrets", false, "deletecollection  secrets shop - -" },
        { "PATCH", "/apis/sigil.dev/v1alpha1/namespaces/shop/serviceidentities/payments/status", false, "patch sigil.dev serviceidentities shop payments status" },
        { "POST", "/apis/apps/v1/namespaces/shop/deployments", false, "create apps deployments shop - -" },
        { "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", false, "list apiextensions.k8s.io customresourcedefinitions - - -" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Paths_parse_into_RBAC_coordinates(string method, string path, bool watch, string expected)
    {
        var r = ApiRequest.Parse(method, path, watch)!;

        Assert.Equal(expected, $"{r.Verb} {r.Group} {r.Resource} {r.Namespace ?? "-"} {r.Name ?? "-"} {r.Subresource ?? "-"}");
    }

    [Theory]
    [InlineData("/version")]
    [InlineData("/apis")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/openapi/v3")]
    public void Non_resource_paths_are_not_resource_requests(string path) => Assert.Null(ApiRequest.Parse("GET", path, false));
}
