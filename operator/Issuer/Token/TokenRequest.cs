namespace Sigil.Issuer.Token;

/// <summary>What a client-credentials request asks for (RFC 6749 4.4.2), client authentication aside.</summary>
/// <param name="Target">The audience (a ServiceIdentity name in the caller's namespace, or a SPIFFE ID) or the RFC 8707
/// resource (a SPIFFE ID): exactly one of them.</param>
/// <param name="Scopes">The requested scopes, distinct, in request order; empty when none were asked for.</param>
internal sealed record TokenRequest(string Target, IReadOnlyList<string> Scopes)
{
    public const string GrantTypeClientCredentials = "client_credentials";

    /// <summary>Reads the grant parameters; the first problem found is the answer (pure).</summary>
    public static (TokenRequest? Request, TokenError? Error) Read(TokenForm form)
    {
        var grant = form["grant_type"];
        if (grant is null)
        {
            return Refuse(TokenError.InvalidRequest("grant_type is missing; this endpoint serves grant_type=client_credentials"));
        }
        if (grant != GrantTypeClientCredentials)
        {
            return Refuse(TokenError.UnsupportedGrantType("only grant_type=client_credentials is supported"));
        }
        var (audience, resource) = (form["audience"], form["resource"]);
        if (audience is not null && resource is not null)
        {
            return Refuse(TokenError.InvalidRequest("give either audience or resource, not both"));
        }
        string target;
        if (audience is not null)
        {
            if (!IsSpiffeId(audience) && !IsIdentityName(audience))
            {
                return Refuse(TokenError.InvalidRequest("audience must be a ServiceIdentity name in your namespace or a SPIFFE ID"));
            }
            target = audience;
        }
        else if (resource is not null)
        {
            if (!IsSpiffeId(resource))
            {
                return Refuse(TokenError.InvalidRequest("resource must be a SPIFFE ID (spiffe://<trust domain>/ns/<namespace>/sa/<name>)"));
            }
            target = resource;
        }
        else
        {
            return Refuse(TokenError.InvalidRequest("audience is missing: name the ServiceIdentity (or SPIFFE ID) the token is for"));
        }
        var scope = form["scope"];
        if (scope is not null && !scope.All(IsScopeChar))
        {
            // RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
            return Refuse(TokenError.InvalidScope("scope must be scope tokens (printable ASCII without \" or \\) separated by spaces"));
        }
        var scopes = scope is null ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
        return (new TokenRequest(target, scopes), null);
    }

    private static (TokenRequest?, TokenError?) Refuse(TokenError error) => (null, error);

    private static bool IsScopeChar(char c) => c == ' ' || (c >= 0x21 && c <= 0x7e && c != '"' && c != '\\');

    /// <summary>A SPIFFE ID as Sigil issues them (the shape only; whether anyone has it is the policy's question).</summary>
    public static bool IsSpiffeId(string value) =>
        value.StartsWith("spiffe://", StringComparison.Ordinal) && value.Length <= 2048
        && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.Length > 0 && uri.AbsolutePath.Length > 1
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo) && uri.IsDefaultPort;

    /// <summary>A Kubernetes object name (RFC 1123 subdomain): what a ServiceIdentity can be called.</summary>
    public static bool IsIdentityName(string value) =>
        value.Length is > 0 and <= 253 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]);
}
