using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace Sigil.Tests.Support;

/// <summary>
/// Plain HTTP against whichever cluster a test runs on, through KubernetesClient's own configured
/// HttpClient (TLS and credentials from the kubeconfig): for what typed clients do not expose, such as
/// server-side tables, bookmarks and raw Status bodies.
/// </summary>
internal sealed class RawApi(string kubeconfigPath)
{
    private readonly KubernetesClientConfiguration _config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
    private Kubernetes? _client;

    private Kubernetes Client => _client ??= new Kubernetes(_config);

    /// <summary>
    /// Go clients read JSON nested far deeper than System.Text.Json's default of 64, and a list or watch event wraps
    /// each object two levels deeper than it was written, so answers are read as deep as the server writes them.
    /// </summary>
    private static readonly JsonDocumentOptions AsDeepAsTheServerWrites = new() { MaxDepth = 256 };

    public async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null,
        string contentType = "application/json", string? accept = null, bool authenticate = true)
    {
        using var request = Request(method, path, accept, authenticate);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        using var response = await Client.HttpClient.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text, documentOptions: AsDeepAsTheServerWrites) as JsonObject ?? []);
    }

    /// <summary>Sends a body as given (YAML, say), for what a JsonNode cannot carry.</summary>
    public Task<(HttpStatusCode Status, JsonObject Body)> SendTextAsync(HttpMethod method, string path, string body, string contentType) =>
        SendBytesAsync(method, path, Encoding.UTF8.GetBytes(body), contentType);

    /// <summary>Sends a body as it is (protobuf, or anything malformed) with the given content type.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> SendBytesAsync(HttpMethod method, string path, byte[] body, string contentType)
    {
        using var request = Request(method, path, null, true);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await Client.HttpClient.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text, documentOptions: AsDeepAsTheServerWrites) as JsonObject ?? []);
    }

    public Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);

    /// <summary>Streams the events of a watch request until the server ends it or <paramref name="ct"/> fires.</summary>
    public async IAsyncEnumerable<JsonObject> WatchAsync(string pathAndQuery, string? accept = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, pathAndQuery, accept, true);
        using var response = await Client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
            {
                yield break;
            }
            if (line is null)
            {
                yield break;
            }
            if (line.Length > 0)
            {
                yield return (JsonObject)JsonNode.Parse(line, documentOptions: AsDeepAsTheServerWrites)!;
            }
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string? accept, bool authenticate)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(_config.Host.TrimEnd('/') + "/"), path.TrimStart('/')));
        if (authenticate && !string.IsNullOrEmpty(_config.AccessToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _config.AccessToken);
        }
        request.Headers.TryAddWithoutValidation("Accept", accept ?? "application/json");
        return request;
    }
}
