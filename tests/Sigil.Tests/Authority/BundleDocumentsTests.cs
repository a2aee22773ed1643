using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sigil.Authority;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>
/// ca.crt, bundle.spiffe and jwks.json, read by consumers Sigil did not write: the <c>jose</c> npm package
/// (importJWK, importX509, JWT verification), Node's crypto <c>X509Certificate</c>, and openssl.
/// </summary>
public sealed class BundleDocumentsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Reads the bundle the way a SPIFFE consumer would and reports what it found, one entry per key.</summary>
    private const string SpiffeConsumer = """
        import * as jose from 'jose';
        import { X509Certificate, createPublicKey } from 'node:crypto';

        let text = '';
        for await (const chunk of process.stdin) text += chunk;
        const input = JSON.parse(text);
        const bundle = JSON.parse(input.bundle);
        const algFor = jwk => jwk.kty === 'RSA' ? 'RS256' : { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv];
        const spki = key => key.export({ type: 'spki', format: 'der' }).toString('base64');
        const report = {
          members: Object.keys(bundle),
          sequenceIsInteger: Number.isInteger(bundle.spiffe_sequence),
          refreshHintIsInteger: Number.isInteger(bundle.spiffe_refresh_hint),
          sequence: bundle.spiffe_sequence,
          refreshHint: bundle.spiffe_refresh_hint,
          keys: [],
        };
        for (const jwk of bundle.keys) {
          const alg = algFor(jwk);
          const fromJwk = await jose.importJWK(jwk, alg);
          const entry = { use: jwk.use, kty: jwk.kty, crv: jwk.crv ?? null, hasKid: 'kid' in jwk, kid: jwk.kid ?? null,
            x5cCount: Array.isArray(jwk.x5c) ? jwk.x5c.length : 0, jwkSpki: await jose.exportSPKI(fromJwk) };
          if (entry.x5cCount > 0) {
            entry.x5cIsStandardBase64 = jwk.x5c.every(c => /^[A-Za-z0-9+/]+={0,2}$/.test(c));
            const pem = `-----BEGIN CERTIFICATE-----\n${jwk.x5c[0].match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
            entry.joseSameKey = entry.jwkSpki === await jose.exportSPKI(await jose.importX509(pem, alg));
            const certificate = new X509Certificate(Buffer.from(jwk.x5c[0], 'base64'));
            entry.subject = certificate.subject;
            entry.isCa = certificate.ca;
            entry.nodeSameKey = spki(certificate.publicKey) === spki(createPublicKey({ key: jwk, format: 'jwk' }));
          }
          if (jwk.use === 'jwt-svid' && input.token) {
            try {
              const { payload } = await jose.jwtVerify(input.token, fromJwk, { algorithms: [alg] });
              entry.verifiedSubject = payload.sub;
            } catch (e) { entry.verifyError = e.code ?? String(e); }
          }
          report.keys.push(entry);
        }
        if (input.jwks) {
          const jwks = JSON.parse(input.jwks);
          report.jwks = jwks.keys.map(k => ({ use: k.use, alg: k.alg, kid: k.kid ?? null }));
          if (input.token) {
            try {
              const { payload, protectedHeader } = await jose.jwtVerify(input.token, jose.createLocalJWKSet(jwks));
              report.jwksVerified = { sub: payload.sub, kid: protectedHeader.kid };
            } catch (e) { report.jwksVerifyError = e.code ?? String(e); }
          }
        }
        process.stdout.write(JSON.stringify(report));
        """;

    public static TheoryData<string> CaSets => ["one P-256 CA", "two CAs, active then prepared", "an RSA CA", "a P-384 CA"];

    private static X509Certificate2[] Authorities(string set) => set switch
    {
        "one P-256 CA" => [SelfSigned("Sigil CA active", ECDsa.Create(ECCurve.NamedCurves.nistP256))],
        "two CAs, active then prepared" =>
        [
            SelfSigned("Sigil CA active", ECDsa.Create(ECCurve.NamedCurves.nistP256)),
            SelfSigned("Sigil CA prepared", ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        ],
        "an RSA CA" => [SelfSigned("Sigil CA rsa", RSA.Create(2048))],
        "a P-384 CA" => [SelfSigned("Sigil CA p384", ECDsa.Create(ECCurve.NamedCurves.nistP384))],
        _ => throw new ArgumentOutOfRangeException(nameof(set)),
    };

    private static X509Certificate2 SelfSigned(string commonName, AsymmetricAlgorithm key)
    {
        using var _ = key;
        var subject = new X500DistinguishedName($"CN={commonName}, O=Sigil");
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("ECDSA or RSA", nameof(key)),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var withKey = request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(365));
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    private static async Task<JsonObject> ConsumeAsync(string bundle, string? jwks = null, string? token = null)
    {
        var input = new JsonObject { ["bundle"] = bundle, ["jwks"] = jwks, ["token"] = token }.ToJsonString();
        var run = await NodePackages.RunScriptAsync(NodePackages.Jose, SpiffeConsumer, input);
        Assert.True(run.ExitCode == 0, run.Output);
        return JsonNode.Parse(run.Stdout)!.AsObject();
    }

    /// <summary>A compact JWS signed here, with the private half of a published JWT key, for jose to verify.</summary>
    private static string SignedToken(string kid, AsymmetricAlgorithm key, string alg)
    {
        static string Part(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        var input = Part($$"""{"alg":"{{alg}}","kid":"{{kid}}","typ":"JWT"}""") + "." +
            Part($$"""{"sub":"spiffe://cluster.local/ns/shop/sa/payments","aud":"orders","iat":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}},"exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}""");
        var data = Encoding.ASCII.GetBytes(input);
        var signature = key switch
        {
            ECDsa ec => ec.SignData(data, alg == "ES384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("ECDSA or RSA", nameof(key)),
        };
        return input + "." + Base64Url.EncodeToString(signature);
    }

    [Theory]
    [MemberData(nameof(CaSets))]
    public async Task Jose_and_node_read_every_CA_of_the_SPIFFE_bundle_as_the_key_of_its_one_certificate(string set)
    {
        var authorities = Authorities(set);

        var report = await ConsumeAsync(BundleDocuments.SpiffeBundle(authorities, null, 7, TimeSpan.FromMinutes(10)));

        Assert.Equal(["keys", "spiffe_sequence", "spiffe_refresh_hint"], report["members"]!.AsArray().Select(m => (string)m!));
        Assert.True((bool)report["sequenceIsInteger"]!);
        Assert.True((bool)report["refreshHintIsInteger"]!);
        Assert.Equal(7, (long)report["sequence"]!);
        Assert.Equal(600, (long)report["refreshHint"]!);
        var keys = report["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(authorities.Select(a => a.GetNameInfo(X509NameType.SimpleName, false)), keys.Select(k => ((string)k["subject"]!).Split('\n').Single(l => l.StartsWith("CN=", StringComparison.Ordinal))[3..]));
        Assert.All(keys, k =>
        {
            Assert.Equal("x509-svid", (string)k["use"]!);
            Assert.False((bool)k["hasKid"]!);
            Assert.Equal(1, (int)k["x5cCount"]!);
            Assert.True((bool)k["x5cIsStandardBase64"]!);
            Assert.True((bool)k["joseSameKey"]!);
            Assert.True((bool)k["nodeSameKey"]!);
            Assert.True((bool)k["isCa"]!);
        });
        Assert.Equal(authorities.Select(a => a.GetECDsaPublicKey() is null ? "RSA" : "EC"), keys.Select(k => (string)k["kty"]!));
    }

    [Theory]
    [MemberData(nameof(CaSets))]
    public async Task Openssl_reads_every_certificate_of_ca_crt_in_order(string set)
    {
        var authorities = Authorities(set);
        var pem = BundleDocuments.Pem(authorities);
        var folder = Directory.CreateTempSubdirectory("sigil-bundle-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.crt"), pem);

            var pkcs7 = await ProcessRunner.RunAsync("openssl", ["crl2pkcs7", "-nocrl", "-certfile", "ca.crt", "-out", "ca.p7b"], workingDirectory: folder);
            var listed = await ProcessRunner.RunAsync("openssl", ["pkcs7", "-in", "ca.p7b", "-print_certs", "-noout"], workingDirectory: folder);

            Assert.True(pkcs7.ExitCode == 0, pkcs7.Output);
            Assert.True(listed.ExitCode == 0, listed.Output);
            var subjects = listed.Stdout.Split('\n').Where(l => l.StartsWith("subject=", StringComparison.Ordinal)).ToList();
            Assert.Equal(authorities.Select(a => a.GetNameInfo(X509NameType.SimpleName, false)),
                subjects.Select(s => s["subject=".Length..].Split(',').Select(p => p.Trim()).Single(p => p.StartsWith("CN", StringComparison.Ordinal)).Split('=')[1].Trim()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Ca_crt_is_each_certificate_as_PEM_in_the_given_order_each_followed_by_a_newline()
    {
        var authorities = Authorities("two CAs, active then prepared");

        var pem = BundleDocuments.Pem(authorities);

        Assert.Equal(
            string.Concat(authorities.Select(a => a.ExportCertificatePem() + "\n")),
            pem);
        Assert.EndsWith("-----END CERTIFICATE-----\n", pem, StringComparison.Ordinal);
        Assert.DoesNotContain("\n\n", pem, StringComparison.Ordinal);
        Assert.Equal("", BundleDocuments.Pem([]));
    }

    [Fact]
    public async Task JWT_keys_are_jwt_svid_keys_with_a_kid_in_the_bundle_and_sig_keys_with_alg_in_jwks_json_and_jose_verifies_a_token_with_each()
    {
        var authorities = Authorities("one P-256 CA");
        using var es256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rs256 = RSA.Create(2048);
        JsonWebKeyInput[] jwtKeys = [new("k-es256", "ES256", es256), new("k-rs256", "RS256", rs256)];
        var token = SignedToken("k-rs256", rs256, "RS256");

        var report = await ConsumeAsync(BundleDocuments.SpiffeBundle(authorities, jwtKeys, 1, TimeSpan.FromSeconds(30)), BundleDocuments.Jwks(jwtKeys), token);

        var keys = report["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(["x509-svid", "jwt-svid", "jwt-svid"], keys.Select(k => (string)k["use"]!));
        Assert.Equal(new string?[] { null, "k-es256", "k-rs256" }, keys.Select(k => (string?)k["kid"]));
        Assert.Equal([0, 0], keys.Skip(1).Select(k => (int)k["x5cCount"]!));
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", (string?)keys[2]["verifiedSubject"]);
        Assert.NotNull(keys[1]["verifyError"]);
        Assert.Equal(
            [("sig", "ES256", "k-es256"), ("sig", "RS256", "k-rs256")],
            report["jwks"]!.AsArray().Select(k => ((string)k!["use"]!, (string)k["alg"]!, (string)k["kid"]!)));
        Assert.Equal("k-rs256", (string?)report["jwksVerified"]?["kid"]);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", (string?)report["jwksVerified"]?["sub"]);
    }

    [Fact]
    public async Task Jose_verifies_an_ES256_token_against_jwks_json_and_a_key_it_does_not_hold_is_rejected()
    {
        using var published = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        JsonWebKeyInput[] jwtKeys = [new("k1", "ES256", published)];

        var good = await ConsumeAsync(BundleDocuments.SpiffeBundle([], jwtKeys, 1, TimeSpan.FromSeconds(30)), BundleDocuments.Jwks(jwtKeys), SignedToken("k1", published, "ES256"));
        var forged = await ConsumeAsync(BundleDocuments.SpiffeBundle([], jwtKeys, 1, TimeSpan.FromSeconds(30)), BundleDocuments.Jwks(jwtKeys), SignedToken("k1", other, "ES256"));

        Assert.Equal("k1", (string?)good["jwksVerified"]?["kid"]);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", (string?)good["keys"]![0]!["verifiedSubject"]);
        Assert.Null(forged["jwksVerified"]);
        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", (string?)forged["jwksVerifyError"]);
    }

    [Fact]
    public void Jwks_json_without_JWT_keys_is_an_empty_key_set()
    {
        var jwks = JsonNode.Parse(BundleDocuments.Jwks(null))!.AsObject();
        var alsoEmpty = JsonNode.Parse(BundleDocuments.Jwks([]))!.AsObject();

        Assert.Equal("""{"keys":[]}""", jwks.ToJsonString());
        Assert.Equal("""{"keys":[]}""", alsoEmpty.ToJsonString());
    }

    [Fact]
    public void The_same_input_renders_the_same_bytes_and_a_new_sequence_renders_different_ones()
    {
        var authorities = Authorities("two CAs, active then prepared");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        JsonWebKeyInput[] jwtKeys = [new("k1", "ES256", key)];

        var first = BundleDocuments.SpiffeBundle(authorities, jwtKeys, 3, TimeSpan.FromMinutes(5));
        var again = BundleDocuments.SpiffeBundle([.. authorities.Select(a => X509CertificateLoader.LoadCertificate(a.RawData))], [new("k1", "ES256", key)], 3, TimeSpan.FromMinutes(5));
        var next = BundleDocuments.SpiffeBundle(authorities, jwtKeys, 4, TimeSpan.FromMinutes(5));

        Assert.Equal(first, again);
        Assert.NotEqual(first, next);
        Assert.Equal(BundleDocuments.Jwks(jwtKeys), BundleDocuments.Jwks([new("k1", "ES256", key)]));
    }

    public static TheoryData<string, int> Curves => new() { { "P-256", 32 }, { "P-384", 48 }, { "P-521", 66 } };

    [Theory]
    [MemberData(nameof(Curves))]
    public void EC_coordinates_are_unpadded_base64url_of_exactly_the_curve_size(string curve, int size)
    {
        var named = curve switch { "P-256" => ECCurve.NamedCurves.nistP256, "P-384" => ECCurve.NamedCurves.nistP384, _ => ECCurve.NamedCurves.nistP521 };
        // Enough keys that some coordinate starts with a zero byte (1 in 256 each), which must still be sent in full.
        var keys = Enumerable.Range(0, 200).Select(i => ECDsa.Create(named)).ToList();
        try
        {
            var jwks = JsonNode.Parse(BundleDocuments.Jwks([.. keys.Select((k, i) => new JsonWebKeyInput($"k{i}", "ES256", k))]))!;

            foreach (var (jwk, key) in jwks["keys"]!.AsArray().Zip(keys))
            {
                var parameters = key.ExportParameters(false);
                Assert.Equal(curve, (string)jwk!["crv"]!);
                foreach (var (member, expected) in new[] { ("x", parameters.Q.X!), ("y", parameters.Q.Y!) })
                {
                    var text = (string)jwk[member]!;
                    Assert.DoesNotContain('=', text);
                    Assert.DoesNotContain('+', text);
                    Assert.DoesNotContain('/', text);
                    Assert.Equal(size, Base64Url.DecodeFromChars(text).Length);
                    Assert.Equal(expected, Base64Url.DecodeFromChars(text));
                }
            }
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public void RSA_keys_carry_n_and_e_as_unpadded_base64url()
    {
        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);

        var jwk = JsonNode.Parse(BundleDocuments.Jwks([new("r1", "RS256", rsa)]))!["keys"]![0]!;

        Assert.Equal("RSA", (string)jwk["kty"]!);
        Assert.Equal("AQAB", (string)jwk["e"]!);
        Assert.Equal(parameters.Modulus, Base64Url.DecodeFromChars((string)jwk["n"]!));
        Assert.DoesNotContain('=', (string)jwk["n"]!);
    }

    [Fact]
    public void The_refresh_hint_is_whole_seconds_rounded_up_so_it_is_never_zero_for_a_positive_hint()
    {
        var hint = JsonNode.Parse(BundleDocuments.SpiffeBundle([], null, 1, TimeSpan.FromMilliseconds(1500)))!["spiffe_refresh_hint"]!;

        Assert.Equal(JsonValueKind.Number, hint.GetValueKind());
        Assert.Equal(2, (long)hint);
    }
}
