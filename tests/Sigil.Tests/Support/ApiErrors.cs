using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;

namespace Sigil.Tests.Support;

internal static class ApiErrors
{
    /// <summary>Runs a KubernetesClient call that must fail, and returns the HTTP code and Status body the server sent.</summary>
    public static async Task<(HttpStatusCode Code, JsonObject Status)> CatchAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return (e.Response.StatusCode, JsonNode.Parse(e.Response.Content) as JsonObject ?? []);
    }
}
