using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Sigil.Api;
using Sigil.Cli.Day2;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.OAuth2;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>`sigil inspect secret` over every kind of Secret Sigil writes, against a cluster with the operator running.</summary>
public sealed class InspectCommandTests
{
    private static readonly string[] Formats = ["table", "json", "yaml"];

    /// <summary>
    /// orders (an SVID) accepts payments and billing; payments holds an SVID, a Bearer key for orders, a JWT-SVID for
    /// orders and an OAuth 2.0 client secret; billing an HMAC key for orders. Every kind of Secret, each once.
    /// </summary>
    private static async Task<string> EveryKindAsync(OperatorUnderTest op, TestCluster cluster)
    {
        var ns = await cluster.CreateNamespaceAsync("inspect");
        await op.CreateAsync(ns, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "orders" },
            Spec = new ServiceIdentitySpec { X509 = new X509Spec(), AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "payments" }, new AcceptedCaller { ServiceIdentity = "billing" }] },
        });
        await op.CreateAsync(ns, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "payments" },
            Spec = new ServiceIdentitySpec
            {
                X509 = new X509Spec { DnsNames = [$"payments.{ns}.svc"] },
                ApiKeys = [new ApiKeySpec { Name = "orders", Audience = "orders", Type = "Bearer", Rotation = new RotationSpec { Every = "720h" } }],
                Jwt = new JwtSpec { Audiences = [new JwtAudienceSpec { Name = "orders", Audience = "orders" }] },
                OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h" } } },
            },
        });
        await op.CreateAsync(ns, OperatorUnderTest.Caller("billing", "orders", type: "HMACSHA256"));
        await op.WaitForAsync(ns, "orders", Reasons.Issued);
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status is { ApiKeys.Count: 1, Jwt: not null, OAuth2.SecretName: not null });
        await op.WaitForAsync(ns, "billing", Reasons.Issued);
        await Eventually.TrueAsync(async () => (await op.VerifierAsync(ns, "orders")).Count == 2);
        return ns;
    }

    private static readonly string[] SecretNames = ["orders-svid", "payments-svid", "payments-orders-apikey", "billing-k-apikey", "orders-verifiers", "payments-jwt", "payments-oauth2"];

    /// <summary>Every value in the Secret that is key material: private keys, API keys, HMAC and client secrets, their hashes, tokens.</summary>
    private static IEnumerable<string> KeyMaterial(V1Secret secret)
    {
        foreach (var (key, bytes) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            var text = Encoding.UTF8.GetString(bytes);
            switch (key)
            {
                case "tls.key":
                    yield return text;
                    // The base64 body as one string too, so a window across a line break is covered.
                    yield return string.Concat(text.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
                    break;
                case "api-key" or "next-api-key" or "hmac-secret" or ClientSecretRendering.ClientSecretKey or ClientSecretRendering.NextClientSecretKey:
                    yield return text;
                    break;
                case "keys.json":
                    foreach (var entry in VerifierPlan.Parse(bytes))
                    {
                        foreach (var value in new[] { entry.Sha256, entry.Secret }.OfType<string>())
                        {
                            yield return value;
                        }
                    }
                    break;
                case var jwt when jwt.EndsWith(".jwt", StringComparison.Ordinal):
                    yield return text;
                    // The signature alone, too: it is the one part that never changes form when decoded.
                    yield return text.Split('.')[^1];
                    break;
            }
        }
        foreach (var verifier in ClientSecretVerifiers.From(secret.Metadata.Annotations))
        {
            yield return verifier.Sha256;
        }
    }

    [Fact]
    public async Task Inspect_never_prints_key_material_of_any_kind_of_Secret_in_any_output_format()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await EveryKindAsync(op, cluster);
        var material = new List<string>();
        var outputs = new List<(string Secret, string Format, string Text)>();
        foreach (var name in SecretNames)
        {
            var secret = (await op.SecretAsync(ns, name))!;
            var values = KeyMaterial(secret).ToList();
            // Every kind contributes (a test that collected nothing could not fail).
            Assert.True(values.Count > 0, $"no key material collected from {name}");
            material.AddRange(values);
            foreach (var format in Formats)
            {
                var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", name, "-n", ns, "-o", format);
                Assert.True(result.ExitCode == ExitCodes.Ok, $"{name} -o {format}: {result.Output}");
                outputs.Add((name, format, result.Output));
            }
        }

        // Two private keys (PEM and body), a Bearer key, an HMAC key and its secret, a hash and a secret in keys.json, a JWT and
        // its signature, a client secret and its hash.
        Assert.True(material.Count >= 13, $"only {material.Count} secret values collected");
        Assert.All(material, m => Assert.True(m.Length >= 16, "a collected value is shorter than the window"));
        foreach (var (name, format, text) in outputs)
        {
            foreach (var value in material)
            {
                for (var i = 0; i + 16 <= value.Length; i++)
                {
                    var window = value.Substring(i, 16);
                    // Never echo the value in the assertion: the test's own output must not leak it either.
                    Assert.False(text.Contains(window, StringComparison.Ordinal), $"inspect secret {name} -o {format} printed 16+ characters of key material (at offset {i} of a value {value.Length} long)");
                }
            }
        }
    }

    [Fact]
    public async Task Inspect_shows_for_each_kind_the_ids_names_and_times_it_holds()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await EveryKindAsync(op, cluster);
        var payments = await op.GetAsync(ns, "payments");
        var billing = await op.GetAsync(ns, "billing");
        async Task<JsonElement> JsonOf(string name)
        {
            var result = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", name, "-n", ns, "-o", "json");
            Assert.True(result.ExitCode == ExitCodes.Ok, $"{name}: {result.Output}");
            return JsonDocument.Parse(result.Stdout).RootElement;
        }

        var svid = await JsonOf("payments-svid");
        var bearer = await JsonOf("payments-orders-apikey");
        var hmac = await JsonOf("billing-k-apikey");
        var verifiers = await JsonOf("orders-verifiers");
        var jwt = await JsonOf("payments-jwt");
        var oauth2 = await JsonOf("payments-oauth2");
        var table = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", "payments-svid", "-n", ns);

        var spiffe = $"spiffe://cluster.local/ns/{ns}/sa/payments";
        Assert.Equal("x509", svid.GetProperty("kind").GetString());
        Assert.Equal(spiffe, svid.GetProperty("x509").GetProperty("spiffeID").GetString());
        Assert.Equal([$"payments.{ns}.svc"], svid.GetProperty("x509").GetProperty("dnsNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(payments.Status!.X509!.SerialNumber, svid.GetProperty("x509").GetProperty("serialNumber").GetString());
        Assert.True(svid.GetProperty("x509").GetProperty("chainVerified").GetBoolean());
        Assert.True(svid.GetProperty("x509").GetProperty("keyMatchesCertificate").GetBoolean());
        Assert.Contains("Chain:                  1 certificate, verified against sigil-trust-bundle", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Key matches:            yes", table.Stdout, StringComparison.Ordinal);

        Assert.Equal(payments.Status.ApiKeys![0].CurrentKeyId, bearer.GetProperty("apiKey").GetProperty("keyId").GetString());
        Assert.Equal("Bearer", bearer.GetProperty("apiKey").GetProperty("type").GetString());
        Assert.Equal("orders", bearer.GetProperty("apiKey").GetProperty("audience").GetString());
        Assert.Equal("HMACSHA256", hmac.GetProperty("apiKey").GetProperty("type").GetString());
        Assert.True(hmac.GetProperty("apiKey").GetProperty("hasHmacSecret").GetBoolean());

        var entries = verifiers.GetProperty("verifiers").EnumerateArray().ToList();
        Assert.Equal(new[] { billing.Status!.ApiKeys![0].CurrentKeyId, payments.Status.ApiKeys[0].CurrentKeyId }.Order(StringComparer.Ordinal),
            entries.Select(e => e.GetProperty("keyId").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["Bearer", "HMACSHA256"], entries.Select(e => e.GetProperty("type").GetString()).Order(StringComparer.Ordinal));
        Assert.Contains(entries, e => e.GetProperty("caller").GetString() == spiffe);
        Assert.All(entries, e => Assert.False(e.TryGetProperty("sha256", out _) || e.TryGetProperty("secret", out _)));

        var token = Assert.Single(jwt.GetProperty("jwts").EnumerateArray());
        Assert.Equal("orders.jwt", token.GetProperty("key").GetString());
        Assert.Equal(spiffe, token.GetProperty("sub").GetString());
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/orders", token.GetProperty("aud").GetString());
        Assert.Equal(payments.Status.Jwt!.KeyId, token.GetProperty("kid").GetString());
        Assert.Equal("JWT", token.GetProperty("typ").GetString());
        Assert.Equal(Output.Iso(payments.Status.Jwt.Audiences![0].ExpiresAt), token.GetProperty("exp").GetString());

        Assert.Equal(spiffe, oauth2.GetProperty("oauth2").GetProperty("clientID").GetString());
        Assert.Equal(payments.Status.OAuth2!.CurrentKeyId, oauth2.GetProperty("oauth2").GetProperty("keyId").GetString());
        Assert.EndsWith("/oauth2/token", oauth2.GetProperty("oauth2").GetProperty("tokenEndpoint").GetString(), StringComparison.Ordinal);
        Assert.Equal(payments.Status.OAuth2.CurrentKeyId, Assert.Single(oauth2.GetProperty("oauth2").GetProperty("accepted").EnumerateArray()).GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task Inspect_reports_a_chain_that_does_not_verify_against_a_tampered_bundle_and_a_key_that_does_not_match_with_exit_code_2()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync("inspect");
        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments"));
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        // The operator would put both back; with it stopped, what inspect sees is what was tampered with.
        await op.StopAsync();
        using var stranger = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var bundle = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(ClusterApi.TrustBundleConfigMap, ns, cancellationToken: TestContext.Current.CancellationToken);
        var genuineBundle = bundle.Data["ca.crt"];
        bundle.Data["ca.crt"] = stranger.TrustBundlePem;
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(bundle, ClusterApi.TrustBundleConfigMap, ns, cancellationToken: TestContext.Current.CancellationToken);

        var tampered = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", "payments-svid", "-n", ns);

        Assert.Equal(ExitCodes.Unhealthy, tampered.ExitCode);
        Assert.Contains("NOT VERIFIED", tampered.Stdout, StringComparison.Ordinal);
        Assert.Contains("ca.crt is the bundle:   no", tampered.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Secret {ns}/payments-svid: the chain does not verify", tampered.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("tls.key", tampered.Stderr, StringComparison.Ordinal);

        bundle = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(ClusterApi.TrustBundleConfigMap, ns, cancellationToken: TestContext.Current.CancellationToken);
        bundle.Data["ca.crt"] = genuineBundle;
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(bundle, ClusterApi.TrustBundleConfigMap, ns, cancellationToken: TestContext.Current.CancellationToken);
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(JsonSerializer.Serialize(new { data = new Dictionary<string, string> { ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(stranger.PrivateKeyPem)) } }), V1Patch.PatchType.MergePatch),
            "payments-svid", ns, cancellationToken: TestContext.Current.CancellationToken);

        var mismatched = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", "payments-svid", "-n", ns, "-o", "json");

        Assert.Equal(ExitCodes.Unhealthy, mismatched.ExitCode);
        using var json = JsonDocument.Parse(mismatched.Stdout);
        Assert.True(json.RootElement.GetProperty("x509").GetProperty("chainVerified").GetBoolean());
        Assert.False(json.RootElement.GetProperty("x509").GetProperty("keyMatchesCertificate").GetBoolean());
        Assert.Equal(["tls.key does not match the certificate's public key"], json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Inspect_of_a_Secret_Sigil_does_not_write_or_that_does_not_exist_exits_1_naming_only_its_keys()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync("inspect");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Data = new Dictionary<string, byte[]> { ["password"] = "correct-horse-battery-staple"u8.ToArray() },
        }, ns, cancellationToken: TestContext.Current.CancellationToken);

        var foreign = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", "db", "-n", ns);
        var missing = await Day2Cli.RunAsync(cluster.KubeconfigPath, "inspect", "secret", "nothing", "-n", ns);

        Assert.Equal(ExitCodes.Failed, foreign.ExitCode);
        Assert.Equal($"sigil: Secret {ns}/db is not one Sigil writes (its keys: password)\n", foreign.Stderr);
        Assert.DoesNotContain("horse", foreign.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Equal($"sigil: Secret {ns}/nothing not found\n", missing.Stderr);
    }
}
