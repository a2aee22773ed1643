using System.Diagnostics.CodeAnalysis;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>Who the client proved to be, and with what, or why it did not.</summary>
/// <param name="CertificateThumbprint">For a certificate-bound token (RFC 8705 3.1): the base64url SHA-256 of the client
/// certificate's DER, written as <c>cnf.x5t#S256</c>; null for methods that prove no key.</param>
internal sealed record ClientAuthResult(TokenClient? Client, string Method, TokenError? Error, string? CertificateThumbprint = null)
{
    [MemberNotNullWhen(true, nameof(Client))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Authenticated => Client is not null;

    /// <summary>Why it failed, as a named reason for the log (never sent to the client, whose description stays generic).</summary>
    public string? Reason { get; init; }

    /// <summary>The SPIFFE ID an SVID method proved before refusing (for the log line: no secret, no assertion text).</summary>
    public string? SpiffeId { get; init; }

    /// <summary>The jti of a refused client assertion (for the log line).</summary>
    public string? Jti { get; init; }

    public static ClientAuthResult Success(TokenClient client, string method, string? certificateThumbprint = null) =>
        new(client, method, null, certificateThumbprint);

    public static ClientAuthResult Failure(string method, TokenError error) => new(null, method, error);
}
