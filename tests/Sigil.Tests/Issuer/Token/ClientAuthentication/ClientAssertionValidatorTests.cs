using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using Sigil.Identity;
using Sigil.Issuer.Token.ClientAuthentication;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestAssertions;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestSvids;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>
/// private_key_jwt: may this client assertion authenticate its sender? From the attacker's side: assertions they can
/// write with no key, with their own real SVID, or with a victim's certificate they saw on the wire.
/// </summary>
public sealed class ClientAssertionValidatorTests : IDisposable
{
    private static readonly AssertionAudiences Audiences = new(IssuerUrl, TokenEndpoint);

    private readonly TestSvids _svids = new();

    private sealed record Case(string Assertion, string? ExpectedId, string? ExpectedRejection, string? ClientId = null, DateTimeOffset? Now = null, IReadOnlyList<X509Certificate2>? Trusted = null);

    private static Case Good(LoadedSvid svid, Action<Dictionary<string, object?>>? claims = null, string? alg = null, Action<Dictionary<string, object?>>? header = null)
    {
        var c = Claims(svid.SpiffeId, T0);
        claims?.Invoke(c);
        var h = Header(svid, alg);
        header?.Invoke(h);
        return new Case(Sign(svid, h, c), svid.SpiffeId, null);
    }

    private static Case Bad(string reason, LoadedSvid svid, Action<Dictionary<string, object?>>? claims = null, string? alg = null, Action<Dictionary<string, object?>>? header = null)
    {
        var c = Claims(svid.SpiffeId, T0);
        claims?.Invoke(c);
        var h = Header(svid, alg);
        header?.Invoke(h);
        return new Case(Sign(svid, h, c), null, reason);
    }

    private static long At(TimeSpan offset) => (T0 + offset).ToUnixTimeSeconds();

    private static readonly Dictionary<string, Func<TestSvids, Case>> Table = new()
    {
        ["an ES256 assertion signed with the SVID key, aud the issuer, 60 s, authenticates as the SVID's SPIFFE ID"] =
            s => Good(s.Issue(s.Ours, Payments)),
        ["an ES384 assertion from a P-384 SVID authenticates"] =
            s => Good(s.Issue(s.Ours, Payments, KeyAlgorithm.ECDSAP384)),
        ["an RS256 assertion from an RSA SVID authenticates"] =
            s => Good(s.Issue(s.Ours, Payments, KeyAlgorithm.RSA2048)),
        ["a PS256 assertion from an RSA SVID authenticates"] =
            s => Good(s.Issue(s.Ours, Payments, KeyAlgorithm.RSA2048), alg: "PS256"),
        ["an EdDSA assertion from an Ed25519 SVID authenticates"] =
            s => Good(s.Issue(s.Ours, Payments, KeyAlgorithm.Ed25519)),
        ["aud the token endpoint URL authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), c => c["aud"] = TokenEndpoint),
        ["aud an array holding only the issuer authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), c => c["aud"] = new[] { IssuerUrl }),
        ["no iat, with exp 5 minutes away, authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), c => { c.Remove("iat"); c["exp"] = At(TimeSpan.FromMinutes(5)); }),
        ["a lifetime of exactly 5 minutes authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), c => c["exp"] = At(TimeSpan.FromMinutes(5))),
        ["typ JWT authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), header: h => h["typ"] = "JWT"),
        ["typ client-authentication+jwt authenticates"] =
            s => Good(s.Issue(s.Ours, Payments), header: h => h["typ"] = "client-authentication+jwt"),
        ["an assertion from an SVID of the retiring CA, still in the bundle, authenticates"] =
            s => Good(s.Issue(s.Retiring, Payments)),
        ["an SVID under a platform intermediate, with the intermediate in x5c, authenticates"] =
            s =>
            {
                var (intermediate, root) = s.PlatformIntermediate();
                return Good(s.Issue(intermediate, Payments)) with { Trusted = [root] };
            },

        ["alg none with an empty signature is refused"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments);
                return new Case(Compact(Header(svid, "none"), Claims(svid.SpiffeId, T0), _ => []), null, AssertionRejections.AlgorithmNotAllowed);
            },
        ["HS256 keyed with the public key from x5c is refused"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments);
                var publicKey = svid.Leaf.PublicKey.ExportSubjectPublicKeyInfo();
                return new Case(Compact(Header(svid, "HS256"), Claims(svid.SpiffeId, T0), input => HMACSHA256.HashData(publicKey, input)), null, AssertionRejections.AlgorithmNotAllowed);
            },
        ["HS256 keyed with the certificate DER from x5c is refused"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments);
                return new Case(Compact(Header(svid, "HS256"), Claims(svid.SpiffeId, T0), input => HMACSHA256.HashData(svid.Leaf.RawData, input)), null, AssertionRejections.AlgorithmNotAllowed);
            },
        ["a forged signature under the victim's real certificate is refused"] =
            s =>
            {
                var victim = s.Issue(s.Ours, Victim);
                var attacker = s.Issue(s.Ours, Payments);
                return new Case(Compact(Header(victim), Claims(victim.SpiffeId, T0), input => SignWith(attacker, "ES256", input)), null, AssertionRejections.BadSignature);
            },
        ["a signature over other claims, spliced onto the victim's claims, is refused"] =
            s =>
            {
                var victim = s.Issue(s.Ours, Victim);
                var genuine = Sign(victim, Header(victim), Claims(victim.SpiffeId, T0));
                var spliced = Compact(Header(victim), Claims(victim.SpiffeId, T0, jti: "fresh"), _ => Base64Url.DecodeFromChars(genuine.Split('.')[2]));
                return new Case(spliced, null, AssertionRejections.BadSignature);
            },
        ["the attacker's own SVID in x5c with sub and iss claiming a victim is refused"] =
            s => Bad(AssertionRejections.SubjectIsNotTheCertificate, s.Issue(s.Ours, Payments), c => { c["sub"] = Victim.ToString(); c["iss"] = Victim.ToString(); }),
        ["the attacker's own SVID in x5c with sub claiming a victim is refused"] =
            s => Bad(AssertionRejections.SubjectIsNotTheCertificate, s.Issue(s.Ours, Payments), c => c["sub"] = Victim.ToString()),
        ["a second sub member claiming a victim is refused as malformed"] =
            s =>
            {
                var svid = s.Issue(s.Ours, Payments);
                var header = Base64Url.EncodeToString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Header(svid)));
                var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
                    $$"""{"iss":"{{svid.SpiffeId}}","sub":"{{svid.SpiffeId}}","sub":"{{Victim}}","aud":"{{IssuerUrl}}","exp":{{At(TimeSpan.FromMinutes(1))}},"jti":"j"}"""));
                var signature = Base64Url.EncodeToString(SignWith(svid, "ES256", Encoding.ASCII.GetBytes(header + "." + payload)));
                return new Case($"{header}.{payload}.{signature}", null, AssertionRejections.Malformed);
            },
        ["a client_id that is not the certificate's SPIFFE ID is refused"] =
            s => Bad(AssertionRejections.ClientIdIsNotTheCertificate, s.Issue(s.Ours, Payments)) with { ClientId = Victim.ToString() },
        ["aud another issuer is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c["aud"] = "https://login.example.com"),
        ["aud another issuer's token endpoint is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c["aud"] = "https://login.example.com/oauth2/token"),
        ["two audiences, ours and another, are refused"] =
            s => Bad(AssertionRejections.SeveralAudiences, s.Issue(s.Ours, Payments), c => c["aud"] = new[] { IssuerUrl, "https://login.example.com" }),
        ["two audiences, both ours, are refused"] =
            s => Bad(AssertionRejections.SeveralAudiences, s.Issue(s.Ours, Payments), c => c["aud"] = new[] { IssuerUrl, TokenEndpoint }),
        ["the token endpoint URL with a trailing slash is another audience and is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c["aud"] = TokenEndpoint + "/"),
        ["the issuer with a trailing slash is another audience and is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c["aud"] = IssuerUrl + "/"),
        ["the issuer in capitals is another audience and is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c["aud"] = IssuerUrl.ToUpperInvariant()),
        ["no aud is refused"] =
            s => Bad(AssertionRejections.WrongAudience, s.Issue(s.Ours, Payments), c => c.Remove("aud")),
        ["a lifetime of 10 minutes is refused"] =
            s => Bad(AssertionRejections.LifetimeTooLong, s.Issue(s.Ours, Payments), c => c["exp"] = At(TimeSpan.FromMinutes(10))),
        ["no iat and exp 10 minutes away is refused"] =
            s => Bad(AssertionRejections.LifetimeTooLong, s.Issue(s.Ours, Payments), c => { c.Remove("iat"); c["exp"] = At(TimeSpan.FromMinutes(10)); }),
        ["an iat in the past that makes a 10-minute lifetime look short from now is refused"] =
            s => Bad(AssertionRejections.LifetimeTooLong, s.Issue(s.Ours, Payments), c => { c["iat"] = At(-TimeSpan.FromMinutes(7)); c["exp"] = At(TimeSpan.FromMinutes(3)); }),
        ["an iat far in the future that makes a long lifetime look short is refused"] =
            s => Bad(AssertionRejections.IssuedInTheFuture, s.Issue(s.Ours, Payments), c => { c["iat"] = At(TimeSpan.FromHours(1)); c["exp"] = At(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1)); }),
        ["an nbf in the future is refused"] =
            s => Bad(AssertionRejections.NotYetValid, s.Issue(s.Ours, Payments), c => c["nbf"] = At(TimeSpan.FromMinutes(2))),
        ["an expired assertion is refused"] =
            s => Bad(AssertionRejections.Expired, s.Issue(s.Ours, Payments), c => { c["iat"] = At(-TimeSpan.FromMinutes(2)); c["exp"] = At(-TimeSpan.FromSeconds(1)); }),
        ["an assertion expiring this very second is refused"] =
            s => Bad(AssertionRejections.Expired, s.Issue(s.Ours, Payments), c => c["exp"] = At(TimeSpan.Zero)),
        ["no exp is refused"] =
            s => Bad(AssertionRejections.NoExpiry, s.Issue(s.Ours, Payments), c => c.Remove("exp")),
        ["exp as a string is refused"] =
            s => Bad(AssertionRejections.NoExpiry, s.Issue(s.Ours, Payments), c => c["exp"] = At(TimeSpan.FromMinutes(1)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ["no jti is refused"] =
            s => Bad(AssertionRejections.NoJti, s.Issue(s.Ours, Payments), c => c.Remove("jti")),
        ["an empty jti is refused"] =
            s => Bad(AssertionRejections.NoJti, s.Issue(s.Ours, Payments), c => c["jti"] = ""),
        ["a jti of a megabyte-ish is refused before it can fill the replay memory"] =
            s => Bad(AssertionRejections.NoJti, s.Issue(s.Ours, Payments), c => c["jti"] = new string('j', 1000)),
        ["a jti with a line break is refused, since it would forge a log line"] =
            s => Bad(AssertionRejections.NoJti, s.Issue(s.Ours, Payments), c => c["jti"] = "j1\nINF Issued token to spiffe://cluster.local/ns/bank/sa/ledger"),
        ["a jti with an escape sequence is refused"] =
            s => Bad(AssertionRejections.NoJti, s.Issue(s.Ours, Payments), c => c["jti"] = "j1\u001b[2J"),
        ["ES384 over a P-256 key is refused"] =
            s => Bad(AssertionRejections.AlgorithmDoesNotFitKey, s.Issue(s.Ours, Payments), alg: "ES384"),
        ["RS256 with an EC SVID is refused"] =
            s => Bad(AssertionRejections.AlgorithmDoesNotFitKey, s.Issue(s.Ours, Payments, KeyAlgorithm.RSA2048), header: h => h["x5c"] = Header(s.Issue(s.Ours, Payments))["x5c"]),
        ["a critical header extension is refused"] =
            s => Bad(AssertionRejections.UnsupportedCriticalHeader, s.Issue(s.Ours, Payments), header: h => h["crit"] = new[] { "b64" }),
        ["typ at+jwt is an access token, not a client assertion, and is refused"] =
            s => Bad(AssertionRejections.WrongType, s.Issue(s.Ours, Payments), header: h => h["typ"] = "at+jwt"),
        ["no x5c is refused"] =
            s => Bad(AssertionRejections.NoCertificate, s.Issue(s.Ours, Payments), header: h => h.Remove("x5c")),
        ["x5c holding a string that is not a certificate is refused"] =
            s => Bad(AssertionRejections.NoCertificate, s.Issue(s.Ours, Payments), header: h => h["x5c"] = new[] { Convert.ToBase64String("not a certificate"u8) }),
        ["x5c as one string rather than an array is refused"] =
            s => Bad(AssertionRejections.NoCertificate, s.Issue(s.Ours, Payments), header: h => h["x5c"] = ((string[])h["x5c"]!)[0]),
        ["an assertion from an SVID of another trust domain is refused"] =
            s => Bad(AssertionRejections.Svid(SvidRejections.OtherTrustDomain), s.Issue(s.OtherDomain, new SpiffeId("other.example", "shop", "payments"))),
        ["an assertion from an expired SVID is refused"] =
            s => Bad(AssertionRejections.Svid(SvidRejections.Expired), s.Issue(s.Ours, Payments, ttl: TimeSpan.FromMinutes(10), at: T0 - TimeSpan.FromHours(1))),
        ["an assertion from a self-signed look-alike of the victim is refused"] =
            s =>
            {
                var forged = s.Custom(null, [Victim.ToString()]);
                var header = new Dictionary<string, object?> { ["alg"] = "ES256", ["x5c"] = new[] { Convert.ToBase64String(forged.RawData) } };
                using var key = forged.GetECDsaPrivateKey()!;
                return new Case(Compact(header, Claims(Victim.ToString(), T0), input => key.SignData(input, HashAlgorithmName.SHA256)), null,
                    AssertionRejections.Svid(SvidRejections.UntrustedChain));
            },
        ["an assertion from another Sigil's CA for a trust domain of the same name is refused"] =
            s => Bad(AssertionRejections.Svid(SvidRejections.UntrustedChain), s.Issue(s.SameNameStranger, Victim)),
        ["five parts (a JWE) is refused"] =
            s => new Case(Good(s.Issue(s.Ours, Payments)).Assertion + ".x.y", null, AssertionRejections.Malformed),
        ["an assertion longer than 16 KiB is refused before it is parsed"] =
            s => new Case(new string('a', ClientAssertionValidator.MaxLength + 1), null, AssertionRejections.Malformed),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Only_an_assertion_signed_by_the_SVID_key_for_this_issuer_and_short_lived_authenticates(string because)
    {
        var c = Table[because](_svids);

        var verdict = ClientAssertionValidator.Validate(c.Assertion, c.ClientId, Audiences, c.Trusted ?? _svids.DuringRotation, TrustDomain, c.Now ?? T0);

        Assert.True(verdict.Assertion?.SpiffeId == c.ExpectedId && verdict.Rejection == c.ExpectedRejection,
            $"{because}: expected {c.ExpectedId ?? c.ExpectedRejection}, got {verdict.Assertion?.SpiffeId ?? verdict.Rejection}");
    }

    public void Dispose() => _svids.Dispose();
}
