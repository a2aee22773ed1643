using System.Net.Http.Headers;
using Sigil.Client.Jwt;

namespace Sigil.Client.Http;

/// <summary>Sends the current JWT-SVID for one audience as <c>Authorization: Bearer</c> on every request.</summary>
/// <param name="source">The mounted <c>&lt;name&gt;-jwt</c> Secret.</param>
/// <param name="audienceName">The audience's name in <c>spec.jwt.audiences</c> (the file <c>&lt;audienceName&gt;.jwt</c>).</param>
public sealed class JwtSvidHandler(JwtSvidSource source, string audienceName) : DelegatingHandler
{
    private readonly JwtSvidSource _source = source ?? throw new ArgumentNullException(nameof(source));
    private readonly string _audienceName = !string.IsNullOrEmpty(audienceName) ? audienceName
        : throw new ArgumentException("audienceName names an entry of spec.jwt.audiences.", nameof(audienceName));

    /// <inheritdoc/>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _source.Current.For(_audienceName));
        return base.SendAsync(request, cancellationToken);
    }
}
