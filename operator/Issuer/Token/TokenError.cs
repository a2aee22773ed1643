using Microsoft.AspNetCore.Http;

namespace Sigil.Issuer.Token;

/// <summary>
/// A refused token request as RFC 6749 5.2 words it: an error code from the spec and a description that is safe to show
/// anyone (it never says whether a client exists, and never repeats a secret or an assertion).
/// </summary>
/// <param name="Status">400, or 401 for invalid_client, 413 for a body over the limit, 429 when rate-limited, 503 with no signing key.</param>
/// <param name="BasicChallenge">RFC 6749 5.2: a failed client_secret_basic answers 401 with <c>WWW-Authenticate: Basic</c>; RFC 9110
/// 15.5.2 wants a challenge on every 401, so every invalid_client carries one.</param>
/// <param name="RetryAfter">For 429 (and 503): when to try again (RFC 9110 10.2.3).</param>
internal sealed record TokenError(int Status, string Error, string Description, bool BasicChallenge = false, TimeSpan? RetryAfter = null)
{
    public const string InvalidRequestCode = "invalid_request";
    public const string InvalidClientCode = "invalid_client";
    public const string UnauthorizedClientCode = "unauthorized_client";
    public const string UnsupportedGrantTypeCode = "unsupported_grant_type";
    public const string InvalidScopeCode = "invalid_scope";
    public const string InvalidTargetCode = "invalid_target";
    public const string TemporarilyUnavailableCode = "temporarily_unavailable";
    /// <summary>Not an RFC 6749 code (it has none for rate limits); the status, 429, is what clients act on.</summary>
    public const string TooManyRequestsCode = "too_many_requests";

    public static TokenError InvalidRequest(string description) => new(StatusCodes.Status400BadRequest, InvalidRequestCode, description);

    /// <summary>One description for an unknown client and a wrong secret alike: the answer must not tell which.</summary>
    public static TokenError InvalidClient(string description) =>
        new(StatusCodes.Status401Unauthorized, InvalidClientCode, description, BasicChallenge: true);

    public static TokenError UnauthorizedClient(string description) => new(StatusCodes.Status400BadRequest, UnauthorizedClientCode, description);

    public static TokenError UnsupportedGrantType(string description) => new(StatusCodes.Status400BadRequest, UnsupportedGrantTypeCode, description);

    public static TokenError InvalidScope(string description) => new(StatusCodes.Status400BadRequest, InvalidScopeCode, description);

    /// <summary>RFC 8707 2: the audience or resource is unknown, or does not accept this client.</summary>
    public static TokenError InvalidTarget(string description) => new(StatusCodes.Status400BadRequest, InvalidTargetCode, description);

    public static TokenError BodyTooLarge(int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, InvalidRequestCode, $"the request body is larger than {limit} bytes");

    public static TokenError TooManyRequests(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, TooManyRequestsCode, "too many token requests; retry after the time in Retry-After", RetryAfter: retryAfter);

    public static TokenError Unavailable(string description, TimeSpan retryAfter) =>
        new(StatusCodes.Status503ServiceUnavailable, TemporarilyUnavailableCode, description, RetryAfter: retryAfter);
}
