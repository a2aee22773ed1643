using System.Net.Http.Headers;
using Sigil.Client.ApiKeys;

namespace Sigil.Client.Http;

/// <summary>Sends the current API key as <c>Authorization: Bearer sgl_…</c> on every request.</summary>
/// <param name="source">The mounted API-key Secret.</param>
public sealed class ApiKeyHandler(ApiKeySource source) : DelegatingHandler
{
    private readonly ApiKeySource _source = source ?? throw new ArgumentNullException(nameof(source));

    /// <inheritdoc/>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _source.Current.Key);
        return base.SendAsync(request, cancellationToken);
    }
}
