using System.Net;
using System.Net.Http.Headers;

namespace Sigil.Client.Http;

/// <summary>
/// Sends a client-credentials access token from <see cref="AccessTokenClient"/> as <c>Authorization: Bearer</c>. A
/// 401 answer drops the cached token, so the next request fetches a fresh one.
/// </summary>
/// <param name="client">Obtains and caches the tokens (for one audience).</param>
public sealed class AccessTokenHandler(AccessTokenClient client) : DelegatingHandler
{
    private readonly AccessTokenClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await _client.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _client.Forget(token);
        }
        return response;
    }
}
