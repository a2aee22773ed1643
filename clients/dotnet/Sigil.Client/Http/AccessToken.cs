namespace Sigil.Client.Http;

/// <summary>An access token from Sigil's token endpoint.</summary>
public sealed class AccessToken
{
    internal AccessToken(string value, DateTimeOffset issuedAt, DateTimeOffset expiresAt, string? scope, string? boundThumbprint)
    {
        Value = value;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
        Scope = scope;
        BoundThumbprint = boundThumbprint;
    }

    /// <summary>The token to send as <c>Authorization: Bearer</c>. Secret.</summary>
    public string Value { get; }

    /// <summary>When we received it (our clock).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When it expires: receipt plus <c>expires_in</c> (our clock).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The granted scopes, space-separated; null when none were granted.</summary>
    public string? Scope { get; }

    /// <summary>For a certificate-bound token (tls_client_auth): the base64url SHA-256 of the certificate it is bound to.</summary>
    public string? BoundThumbprint { get; }

    /// <summary>When it should be replaced: after 80% of its lifetime.</summary>
    public DateTimeOffset RefreshAt => IssuedAt + (ExpiresAt - IssuedAt) * 0.8;

    /// <summary>Never the token.</summary>
    public override string ToString() => $"access token expiring {ExpiresAt:O}{(Scope is null ? "" : $" for scope '{Scope}'")}";
}

/// <summary>The token endpoint refused a request (RFC 6749 5.2), or answered with something that is not a token.</summary>
public sealed class AccessTokenException : Exception
{
    /// <summary>Creates the exception from the endpoint's error response.</summary>
    public AccessTokenException(string error, string? errorDescription, int statusCode)
        : base($"the token endpoint refused the request ({statusCode}): {error}{(string.IsNullOrEmpty(errorDescription) ? "" : ": " + errorDescription)}")
    {
        Error = error;
        ErrorDescription = errorDescription;
        StatusCode = statusCode;
    }

    /// <summary>The RFC 6749 <c>error</c> code, e.g. <c>invalid_target</c>, <c>invalid_client</c>.</summary>
    public string Error { get; }

    /// <summary>The endpoint's <c>error_description</c>, if any.</summary>
    public string? ErrorDescription { get; }

    /// <summary>The HTTP status of the response.</summary>
    public int StatusCode { get; }
}
