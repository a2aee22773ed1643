using System.Buffers.Text;
using System.Text;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// client_secret_basic (RFC 6749 2.3.1): <c>Authorization: Basic base64(urlencode(client_id) ":" urlencode(secret))</c>.
/// Both parts are form-urlencoded before base64, and a SPIFFE ID contains ':', so the id must be decoded after the
/// split; a naive <c>curl -u spiffe://...:secret</c> splits after "spiffe" and is told so.
/// </summary>
internal sealed class ClientSecretBasic : IClientAuthenticator
{
    public const string Name = "client_secret_basic";
    private const string Scheme = "Basic ";

    public string Method => Name;

    public bool IsPresentedIn(TokenRequestContext request) => request.Authorization is not null;

    public ClientAuthResult Authenticate(TokenRequestContext request)
    {
        if (!TryRead(request.Authorization!, out var clientId, out var secret, out var problem))
        {
            return ClientAuthResult.Failure(Name, TokenError.InvalidClient(problem));
        }
        if (request.Form["client_id"] is { } formId && formId != clientId)
        {
            return ClientAuthResult.Failure(Name, TokenError.InvalidRequest("client_id in the body differs from the one in the Authorization header"));
        }
        return ClientSecrets.Verify(request, clientId, secret, Name);
    }

    /// <summary>Decodes the header (pure); the problem is a description safe to return.</summary>
    public static bool TryRead(string authorization, out string clientId, out string secret, out string problem)
    {
        (clientId, secret, problem) = ("", "", "");
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            problem = "the Authorization header must use the Basic scheme";
            return false;
        }
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(authorization[Scheme.Length..].Trim());
        }
        catch (FormatException)
        {
            problem = "the Basic credentials are not base64";
            return false;
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded);
        }
        catch (DecoderFallbackException)
        {
            problem = "the Basic credentials are not UTF-8";
            return false;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            problem = "the Basic credentials have no ':' between client id and secret";
            return false;
        }
        var (rawId, rawSecret) = (text[..colon], text[(colon + 1)..]);
        if (rawId == "spiffe" && rawSecret.StartsWith("//", StringComparison.Ordinal))
        {
            problem = "the client id in Basic credentials must be form-urlencoded (RFC 6749 2.3.1): a SPIFFE ID contains ':' "
                + "(spiffe%3A%2F%2F...); send client_id and client_secret in the body instead if your client cannot";
            return false;
        }
        clientId = FormDecode(rawId);
        secret = FormDecode(rawSecret);
        if (clientId.Length == 0 || secret.Length == 0)
        {
            problem = ClientSecrets.Refused;
            return false;
        }
        return true;
    }

    private static string FormDecode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}
