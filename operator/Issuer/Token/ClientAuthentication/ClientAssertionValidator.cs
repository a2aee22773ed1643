using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>Why a client assertion does not authenticate: named, for the log line and the error metric.</summary>
internal static class AssertionRejections
{
    public const string Malformed = "Malformed";
    public const string AlgorithmNotAllowed = "AlgorithmNotAllowed";
    public const string AlgorithmDoesNotFitKey = "AlgorithmDoesNotFitKey";
    public const string UnsupportedCriticalHeader = "UnsupportedCriticalHeader";
    public const string WrongType = "WrongType";
    public const string NoCertificate = "NoCertificate";
    public const string BadSignature = "BadSignature";
    public const string SubjectIsNotTheCertificate = "SubjectIsNotTheCertificate";
    public const string ClientIdIsNotTheCertificate = "ClientIdIsNotTheCertificate";
    public const string WrongAudience = "WrongAudience";
    public const string SeveralAudiences = "SeveralAudiences";
    public const string Expired = "Expired";
    public const string NoExpiry = "NoExpiry";
    public const string LifetimeTooLong = "LifetimeTooLong";
    public const string IssuedInTheFuture = "IssuedInTheFuture";
    public const string NotYetValid = "NotYetValid";
    public const string NoJti = "NoJti";
    public const string Replayed = "Replayed";

    /// <summary>The certificate in x5c failed <see cref="SvidClientCertificateValidator"/>: "Svid" and its reason.</summary>
    public static string Svid(string rejection) => "Svid" + rejection;
}

/// <summary>An assertion that authenticates: who, and what the replay memory must remember until when.</summary>
internal sealed record ValidAssertion(string SpiffeId, string Jti, DateTimeOffset ExpiresAt);

/// <summary>The verdict on one client assertion.</summary>
internal sealed record AssertionVerdict(ValidAssertion? Assertion, string? Rejection)
{
    public static AssertionVerdict Success(ValidAssertion assertion) => new(assertion, null);

    public static AssertionVerdict Failure(string rejection) => new(null, rejection);
}

/// <summary>Where the assertion must be addressed: the issuer identifier and the token endpoint URL, compared exactly.</summary>
internal sealed record AssertionAudiences(string Issuer, string TokenEndpoint);

/// <summary>
/// private_key_jwt (RFC 7523 section 3, OpenID Connect Core 9): may this JWT, signed with an SVID's key and carrying the
/// SVID in <c>x5c</c>, authenticate its sender as the SVID's SPIFFE ID? Pure: trusted CAs and time are given; whether the
/// <c>jti</c> was seen before is the caller's question to <see cref="JtiReplayCache"/>, asked only after this says yes
/// (so a forged assertion can never burn a real one's jti).
/// The JWS is verified with .NET's own ECDsa/RSA (and BouncyCastle's Ed25519, which .NET lacks) on the raw compact form:
/// a few lines, against Microsoft.IdentityModel's handler, which would add a dependency to the operator image and a
/// policy surface (key resolution, lifetime defaults) that would have to be switched off member by member.
/// </summary>
internal static class ClientAssertionValidator
{
    /// <summary>RFC 7523 leaves the lifetime to the server; PRODUCT.md bounds it, and so the replay memory.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How far ahead of ours a client's clock may be for iat and nbf.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>An SVID chain of RSA-4096 certificates fits well within this; anything longer is not an assertion of ours.</summary>
    public const int MaxLength = 16 * 1024;

    public const int MaxJtiLength = 256;

    /// <summary>What discovery advertises as token_endpoint_auth_signing_alg_values_supported: one per SVID key type, never
    /// none or an HMAC (the "secret" of an HS256 assertion would be the public key in x5c).</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["ES256", "ES384", "RS256", "PS256", "EdDSA"];

    // Two "sub" members would be read one way here and maybe another way by whoever logs or audits the assertion.
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <param name="memo">Chains already built against this trusted set (optional: a cache, never a source of trust).</param>
    public static AssertionVerdict Validate(string assertion, string? clientId, AssertionAudiences audiences, IReadOnlyList<X509Certificate2> trusted,
        string trustDomain, DateTimeOffset now, TrustedChainMemo? memo = null, ClientIssuers? issuers = null)
    {
        if (assertion.Length > MaxLength)
        {
            return AssertionVerdict.Failure(AssertionRejections.Malformed);
        }
        var parts = assertion.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[0], out var headerBytes) || !TryDecode(parts[1], out var payloadBytes) || !TryDecode(parts[2], out var signature))
        {
            return AssertionVerdict.Failure(AssertionRejections.Malformed); // a JWE (five parts) or not a JWS at all
        }
        try
        {
            using var header = JsonDocument.Parse(headerBytes, StrictJson);
            using var payload = JsonDocument.Parse(payloadBytes, StrictJson);
            if (header.RootElement.ValueKind != JsonValueKind.Object || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return AssertionVerdict.Failure(AssertionRejections.Malformed);
            }
            return Validate(header.RootElement, payload.RootElement, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature,
                clientId, audiences, trusted, trustDomain, now, memo, issuers);
        }
        catch (JsonException)
        {
            return AssertionVerdict.Failure(AssertionRejections.Malformed);
        }
        catch (CryptographicException)
        {
            return AssertionVerdict.Failure(AssertionRejections.NoCertificate); // x5c held something that is not a certificate
        }
    }

    private static AssertionVerdict Validate(JsonElement header, JsonElement payload, byte[] signingInput, byte[] signature, string? clientId,
        AssertionAudiences audiences, IReadOnlyList<X509Certificate2> trusted, string trustDomain, DateTimeOffset now, TrustedChainMemo? memo, ClientIssuers? issuers)
    {
        // The header first: nothing in the payload is read before the signature is known to be the SVID key's.
        if (String(header, "alg") is not { } alg || !Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            return AssertionVerdict.Failure(AssertionRejections.AlgorithmNotAllowed); // none, HS256, or anything unknown
        }
        if (header.TryGetProperty("crit", out _))
        {
            return AssertionVerdict.Failure(AssertionRejections.UnsupportedCriticalHeader); // RFC 7515 4.1.11: we understand no extension
        }
        if (String(header, "typ") is { } typ && !IsAssertionType(typ))
        {
            return AssertionVerdict.Failure(AssertionRejections.WrongType); // an access token or other JWT is not a client assertion
        }
        if (!header.TryGetProperty("x5c", out var x5c) || x5c.ValueKind != JsonValueKind.Array || x5c.GetArrayLength() == 0
            || x5c.GetArrayLength() > SvidClientCertificateValidator.MaxIntermediates + 1 || x5c.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
        {
            return AssertionVerdict.Failure(AssertionRejections.NoCertificate);
        }
        // RFC 7515 4.1.6: x5c members are base64 (not base64url) DER, the signer's certificate first.
        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var member in x5c.EnumerateArray())
            {
                var der = new byte[member.GetString()!.Length];
                if (!Convert.TryFromBase64String(member.GetString()!, der, out var written))
                {
                    return AssertionVerdict.Failure(AssertionRejections.NoCertificate);
                }
                certificates.Add(X509CertificateLoader.LoadCertificate(der.AsSpan(0, written)));
            }
            var leaf = certificates[0];
            var svid = SvidClientCertificateValidator.Validate(leaf, certificates[1..], trusted, trustDomain, now, memo, issuers);
            if (!svid.Accepted)
            {
                return AssertionVerdict.Failure(AssertionRejections.Svid(svid.Rejection!));
            }
            var verified = Verify(leaf, alg, signingInput, signature);
            if (verified is not null)
            {
                return AssertionVerdict.Failure(verified);
            }
            return Claims(payload, svid.SpiffeId!, clientId, audiences, now);
        }
        finally
        {
            foreach (var c in certificates)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>RFC 7523 section 3 and OpenID Connect Core 9, once the signature is the SVID key's.</summary>
    private static AssertionVerdict Claims(JsonElement payload, string spiffeId, string? clientId, AssertionAudiences audiences, DateTimeOffset now)
    {
        if (String(payload, "iss") != spiffeId || String(payload, "sub") != spiffeId)
        {
            return AssertionVerdict.Failure(AssertionRejections.SubjectIsNotTheCertificate); // a real SVID's key claiming someone else
        }
        if (clientId is not null && clientId != spiffeId)
        {
            return AssertionVerdict.Failure(AssertionRejections.ClientIdIsNotTheCertificate);
        }
        var audience = Audience(payload, out var several);
        if (several)
        {
            return AssertionVerdict.Failure(AssertionRejections.SeveralAudiences); // one value: an assertion good for two servers is good at the wrong one
        }
        // Exact comparison, as OpenID Connect compares issuers: "https://sigil:8443/" or ".../oauth2/token/" is another string and is
        // refused, since an audience matched loosely is how an assertion made for one server gets accepted by another.
        if (audience is null || (audience != audiences.Issuer && audience != audiences.TokenEndpoint))
        {
            return AssertionVerdict.Failure(AssertionRejections.WrongAudience);
        }
        if (!TryTime(payload, "exp", out var exp) || exp is null)
        {
            return AssertionVerdict.Failure(AssertionRejections.NoExpiry);
        }
        if (exp <= now)
        {
            return AssertionVerdict.Failure(AssertionRejections.Expired);
        }
        if (!TryTime(payload, "iat", out var iat) || !TryTime(payload, "nbf", out var nbf))
        {
            return AssertionVerdict.Failure(AssertionRejections.Malformed);
        }
        if (iat > now + ClockSkew)
        {
            return AssertionVerdict.Failure(AssertionRejections.IssuedInTheFuture);
        }
        if (nbf > now + ClockSkew)
        {
            return AssertionVerdict.Failure(AssertionRejections.NotYetValid);
        }
        // Without iat, what is left of it counts: the replay memory must hold the jti no longer than MaxLifetime either way.
        if (exp - (iat ?? now) > MaxLifetime || exp - now > MaxLifetime)
        {
            return AssertionVerdict.Failure(AssertionRejections.LifetimeTooLong);
        }
        // Printable ASCII only: the jti is logged, and a line break or an escape sequence in it could forge log lines.
        if (String(payload, "jti") is not { Length: > 0 and <= MaxJtiLength } jti || jti.Any(c => c is < '!' or > '~'))
        {
            return AssertionVerdict.Failure(AssertionRejections.NoJti);
        }
        return AssertionVerdict.Success(new ValidAssertion(spiffeId, jti, exp.Value));
    }

    /// <summary>Null when the signature over the signing input is the leaf key's for <paramref name="alg"/>, else the reason.</summary>
    private static string? Verify(X509Certificate2 leaf, string alg, byte[] signingInput, byte[] signature)
    {
        switch (alg)
        {
            case "ES256" or "ES384":
                using (var ec = leaf.GetECDsaPublicKey())
                {
                    if (ec is null || ec.KeySize != (alg == "ES256" ? 256 : 384))
                    {
                        return AssertionRejections.AlgorithmDoesNotFitKey;
                    }
                    // JWS signatures are r||s (IEEE P1363), .NET's default format for ECDsa.
                    return ec.VerifyData(signingInput, signature, alg == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384)
                        ? null : AssertionRejections.BadSignature;
                }
            case "RS256" or "PS256":
                using (var rsa = leaf.GetRSAPublicKey())
                {
                    if (rsa is null)
                    {
                        return AssertionRejections.AlgorithmDoesNotFitKey;
                    }
                    return rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, alg == "RS256" ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss)
                        ? null : AssertionRejections.BadSignature;
                }
            default: // EdDSA
                if (leaf.PublicKey.Oid.Value != "1.3.101.112")
                {
                    return AssertionRejections.AlgorithmDoesNotFitKey;
                }
                var verifier = new Ed25519Signer();
                verifier.Init(false, new Ed25519PublicKeyParameters(leaf.PublicKey.EncodedKeyValue.RawData));
                verifier.BlockUpdate(signingInput, 0, signingInput.Length);
                return verifier.VerifySignature(signature) ? null : AssertionRejections.BadSignature;
        }
    }

    /// <summary>RFC 7519's "JWT", and RFC 7523bis's explicit type for client assertions; absent is accepted too (openid-client sends none).</summary>
    private static bool IsAssertionType(string typ)
    {
        var type = typ.StartsWith("application/", StringComparison.OrdinalIgnoreCase) ? typ["application/".Length..] : typ;
        return type.Equals("JWT", StringComparison.OrdinalIgnoreCase) || type.Equals("client-authentication+jwt", StringComparison.OrdinalIgnoreCase);
    }

    private static string? Audience(JsonElement payload, out bool several)
    {
        several = false;
        if (!payload.TryGetProperty("aud", out var aud))
        {
            return null;
        }
        if (aud.ValueKind == JsonValueKind.String)
        {
            return aud.GetString();
        }
        if (aud.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        several = aud.GetArrayLength() > 1;
        return aud.GetArrayLength() == 1 && aud[0].ValueKind == JsonValueKind.String ? aud[0].GetString() : null;
    }

    /// <summary>A NumericDate claim: false when present but not a number; <paramref name="time"/> null when absent.</summary>
    private static bool TryTime(JsonElement payload, string name, out DateTimeOffset? time)
    {
        time = null;
        if (!payload.TryGetProperty(name, out var value))
        {
            return true;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || !double.IsFinite(seconds)
            || seconds < 0 || seconds > 253402300799) // 9999-12-31T23:59:59Z, the last second DateTimeOffset can hold
        {
            return false;
        }
        time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        return true;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryDecode(string part, out byte[] bytes)
    {
        bytes = [];
        try
        {
            bytes = Base64Url.DecodeFromChars(part);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
