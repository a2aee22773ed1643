using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sigil.Runtime;

internal static class ClientExtensions
{
    /// <summary>Reads a Secret straight from the API (not a cache), or null when there is none.</summary>
    public static async Task<V1Secret?> ReadSecretOrNullAsync(this IKubernetes client, string ns, string name, CancellationToken ct = default)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
