using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s;
using Sigil.LocalControlPlane;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>
/// certificates.k8s.io/v1beta1 PodCertificateRequest as the emulator serves it: namespaced, with /status, validated as
/// kube-apiserver 1.35 validates it (each refusal a 422 naming the field), its spec frozen, its status set once.
/// </summary>
public sealed class PodCertificateRequestTests
{
    private static string Path(string ns, string? name = null, string? subresource = null) =>
        $"/apis/certificates.k8s.io/v1beta1/namespaces/{ns}/podcertificaterequests" + (name is null ? "" : "/" + name) + (subresource is null ? "" : "/" + subresource);

    private static DateTimeOffset NowToTheSecond()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
    }

    [Theory]
    [MemberData(nameof(PodCertificateRequestFixture.KeyKinds), MemberType = typeof(PodCertificateRequestFixture))]
    public async Task A_request_with_a_key_the_API_server_accepts_and_its_proof_is_created_with_the_default_lifetime(string keyKind)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For(keyKind);

        var (status, created) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns));
        var read = await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>("certificates.k8s.io", "v1beta1", ns, "podcertificaterequests", "web-0-abc");

        Assert.True(status == HttpStatusCode.Created, created.ToJsonString());
        Assert.Equal(86400, (int)created["spec"]!["maxExpirationSeconds"]!);
        Assert.Null(created["status"]);
        Assert.Equal(created["metadata"]!["uid"]!.ToString(), read["metadata"]!["uid"]!.ToString());
    }

    public static TheoryData<string, string> InvalidSpecs => new()
    {
        { "no signerName", "spec.signerName" },
        { "a signerName without a path", "spec.signerName" },
        { "a signerName whose domain has one label", "spec.signerName" },
        { "a signerName with upper case", "spec.signerName" },
        { "no podName", "spec.podName" },
        { "a podName that is no DNS subdomain", "spec.podName" },
        { "no podUID", "spec.podUID" },
        { "a podUID longer than 128", "spec.podUID" },
        { "no serviceAccountName", "spec.serviceAccountName" },
        { "no serviceAccountUID", "spec.serviceAccountUID" },
        { "no nodeName", "spec.nodeName" },
        { "no nodeUID", "spec.nodeUID" },
        { "maxExpirationSeconds under an hour", "spec.maxExpirationSeconds" },
        { "maxExpirationSeconds over 91 days", "spec.maxExpirationSeconds" },
        { "maxExpirationSeconds over a day for a kubernetes.io signer", "spec.maxExpirationSeconds" },
        { "a pkixPublicKey that is not PKIX", "spec.pkixPublicKey" },
        { "a pkixPublicKey with trailing bytes", "spec.pkixPublicKey" },
        { "an RSA 2048 key", "spec.pkixPublicKey" },
        { "an ECDSA P-224 key", "spec.pkixPublicKey" },
        { "a proof made with another key", "spec.proofOfPossession" },
        { "an Ed25519 proof made with another key", "spec.proofOfPossession" },
        { "an RSA proof over another pod's UID", "spec.proofOfPossession" },
        { "a proof over another pod's UID", "spec.proofOfPossession" },
        { "a proof that is not base64", "spec.proofOfPossession" },
        { "an unverifiedUserAnnotations key without a domain", "spec.unverifiedUserAnnotations" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public async Task The_API_server_refuses_what_kube_apiserver_refuses_naming_the_field(string why, string field)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        // The key signed another UID than the spec's podUID: a proof that is valid, but for another pod.
        var fixture = PodCertificateRequestFixture.For(why switch
        {
            "an RSA 2048 key" => "RSA 2048",
            "an ECDSA P-224 key" => "ECDSA P-224",
            "an Ed25519 proof made with another key" => "Ed25519",
            "an RSA proof over another pod's UID" => "RSA 3072, PSS with a hash-length salt",
            _ => "ECDSA P-256",
        }, signedUid: why.Contains("another pod's UID", StringComparison.Ordinal) ? "another-pod" : PodCertificateRequestFixture.PodUid);
        var spec = fixture.Spec();
        switch (why)
        {
            case "no signerName": spec.Remove("signerName"); break;
            case "a signerName without a path": spec["signerName"] = "example.com"; break;
            case "a signerName whose domain has one label": spec["signerName"] = "example/pod-identity"; break;
            case "a signerName with upper case": spec["signerName"] = "Example.com/pod-identity"; break;
            case "no podName": spec.Remove("podName"); break;
            case "a podName that is no DNS subdomain": spec["podName"] = "Web_0"; break;
            case "no podUID": spec = PodCertificateRequestFixture.For("ECDSA P-256", "").Spec(podUid: ""); break;
            case "a podUID longer than 128":
                var longUid = new string('a', 129);
                spec = PodCertificateRequestFixture.For("ECDSA P-256", longUid).Spec(podUid: longUid);
                break;
            case "no serviceAccountName": spec.Remove("serviceAccountName"); break;
            case "no serviceAccountUID": spec.Remove("serviceAccountUID"); break;
            case "no nodeName": spec.Remove("nodeName"); break;
            case "no nodeUID": spec.Remove("nodeUID"); break;
            case "maxExpirationSeconds under an hour": spec["maxExpirationSeconds"] = 3599; break;
            case "maxExpirationSeconds over 91 days": spec["maxExpirationSeconds"] = 7_862_401; break;
            case "maxExpirationSeconds over a day for a kubernetes.io signer":
                spec["signerName"] = "kubernetes.io/kube-apiserver-client-pod";
                spec["maxExpirationSeconds"] = 86_401;
                break;
            case "a pkixPublicKey that is not PKIX": spec["pkixPublicKey"] = Convert.ToBase64String("not a key"u8.ToArray()); break;
            case "a pkixPublicKey with trailing bytes": spec["pkixPublicKey"] = Convert.ToBase64String([.. fixture.Spki, 0]); break;
            case "a proof made with another key": spec["proofOfPossession"] = Convert.ToBase64String(PodCertificateRequestFixture.For("ECDSA P-256").Proof); break;
            case "a proof that is not base64": spec["proofOfPossession"] = "%%%"; break;
            case "an Ed25519 proof made with another key": spec["proofOfPossession"] = Convert.ToBase64String(PodCertificateRequestFixture.For("Ed25519").Proof); break;
            case "an unverifiedUserAnnotations key without a domain": spec["unverifiedUserAnnotations"] = new JsonObject { ["team"] = "payments" }; break;
        }
        if (why == "a proof made with another key")
        {
            // The proof must be checked against this request's key: a valid proof from another key is refused.
            spec["pkixPublicKey"] = Convert.ToBase64String(fixture.Spki);
        }

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("bad", ns, spec));

        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{why}: {(int)status} {body.ToJsonString()}");
        Assert.Equal("Invalid", body["reason"]?.ToString());
        Assert.Contains(body["details"]!["causes"]!.AsArray(), c => c?["field"]?.ToString() == field);
    }

    [Fact]
    public async Task The_spec_is_immutable_after_create()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns));

        var (patched, body) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc"),
            new JsonObject { ["spec"] = new JsonObject { ["nodeName"] = "node-b" } }, "application/merge-patch+json");
        var (labelled, _) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc"),
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "web" } } }, "application/merge-patch+json");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, patched);
        Assert.Contains(body["details"]!["causes"]!.AsArray(), c => c?["field"]?.ToString() == "spec");
        Assert.Equal(HttpStatusCode.OK, labelled);
    }

    private static JsonObject Condition(string type, string status = "True", string reason = "Done") => new()
    {
        ["type"] = type, ["status"] = status, ["reason"] = reason, ["message"] = "by the test signer", ["lastTransitionTime"] = Json(DateTimeOffset.UtcNow),
    };

    private static string Json(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Issued(PodCertificateRequestFixture fixture, DateTimeOffset notBefore, TimeSpan lifetime, TimeSpan refreshAfter, DateTimeOffset? statedNotBefore = null, byte[]? toKey = null) => new()
    {
        ["conditions"] = new JsonArray(Condition("Issued")),
        ["certificateChain"] = fixture.IssueChain(notBefore, notBefore + lifetime, toKey),
        ["notBefore"] = Json(statedNotBefore ?? notBefore),
        ["beginRefreshAt"] = Json(notBefore + refreshAfter),
        ["notAfter"] = Json(notBefore + lifetime),
    };

    [Fact]
    public async Task A_signer_issues_through_status_once_and_the_status_is_frozen_after()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns));
        var now = NowToTheSecond();

        var (viaMain, _) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc"),
            new JsonObject { ["status"] = Issued(fixture, now, TimeSpan.FromHours(2), TimeSpan.FromHours(1)) }, "application/merge-patch+json");
        var afterMain = await cluster.Api.GetAsync(Path(ns, "web-0-abc"));
        var (issued, body) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc", "status"),
            new JsonObject { ["status"] = Issued(fixture, now, TimeSpan.FromHours(2), TimeSpan.FromHours(1)) }, "application/merge-patch+json");
        var (reissued, reissuedBody) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc", "status"),
            new JsonObject { ["status"] = Issued(fixture, now, TimeSpan.FromHours(3), TimeSpan.FromHours(1)) }, "application/merge-patch+json");

        Assert.Equal(HttpStatusCode.OK, viaMain);
        Assert.Null(afterMain.Body["status"]);
        Assert.True(issued == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("Issued", body["status"]!["conditions"]![0]!["type"]!.ToString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reissued);
        Assert.Contains("immutable after PodCertificateRequest is issued", reissuedBody["message"]!.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> InvalidStatuses => new()
    {
        { "a chain issued to another key", "status.certificateChain" },
        { "a chain that is not PEM", "status.certificateChain" },
        { "a notBefore other than the leaf's", "status.notBefore" },
        { "a notBefore far from the API server's clock", "status.notBefore" },
        { "a lifetime under an hour", "status.certificateChain" },
        { "a lifetime over maxExpirationSeconds", "status.certificateChain" },
        { "a refresh less than 10 minutes after notBefore", "status.beginRefreshAt" },
        { "a refresh less than 10 minutes before notAfter", "status.beginRefreshAt" },
        { "no beginRefreshAt", "status.beginRefreshAt" },
        { "two terminal conditions", "status.conditions[1].type" },
        { "a terminal condition that is not True", "status.conditions[0].status" },
        { "a condition of another type", "status.conditions[0].type" },
        { "a condition without a reason", "status.conditions[0].reason" },
        { "a denial that carries a certificate", "status" },
        { "a certificate without a terminal condition", "status" },
    };

    [Theory]
    [MemberData(nameof(InvalidStatuses))]
    public async Task Status_updates_are_refused_as_kube_apiserver_refuses_them_naming_the_field(string why, string field)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns));
        var now = NowToTheSecond();
        var hour = TimeSpan.FromHours(1);
        var status = why switch
        {
            "a chain issued to another key" => Issued(fixture, now, 2 * hour, hour, toKey: PodCertificateRequestFixture.For("ECDSA P-256").Spki),
            "a notBefore other than the leaf's" => Issued(fixture, now, 2 * hour, hour, statedNotBefore: now.AddSeconds(1)),
            "a notBefore far from the API server's clock" => Issued(fixture, now.AddHours(-2), 4 * hour, 3 * hour),
            "a lifetime under an hour" => Issued(fixture, now, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(30)),
            "a lifetime over maxExpirationSeconds" => Issued(fixture, now, TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1), hour),
            "a refresh less than 10 minutes after notBefore" => Issued(fixture, now, 2 * hour, TimeSpan.FromMinutes(9)),
            "a refresh less than 10 minutes before notAfter" => Issued(fixture, now, 2 * hour, TimeSpan.FromMinutes(111)),
            _ => Issued(fixture, now, 2 * hour, hour),
        };
        switch (why)
        {
            case "a chain that is not PEM": status["certificateChain"] = "not a certificate"; break;
            case "no beginRefreshAt": status.Remove("beginRefreshAt"); break;
            case "two terminal conditions": status["conditions"] = new JsonArray(Condition("Issued"), Condition("Failed")); break;
            case "a terminal condition that is not True": status["conditions"] = new JsonArray(Condition("Issued", status: "False")); break;
            case "a condition of another type": status["conditions"] = new JsonArray(Condition("Approved")); break;
            case "a condition without a reason": status["conditions"] = new JsonArray(Condition("Issued", reason: "")); break;
            case "a denial that carries a certificate": status["conditions"] = new JsonArray(Condition("Denied", reason: "UnsupportedKeyType")); break;
            case "a certificate without a terminal condition": status.Remove("conditions"); break;
        }

        var (code, body) = await cluster.Api.SendAsync(HttpMethod.Put, Path(ns, "web-0-abc", "status"), WithStatus(await cluster.Api.GetAsync(Path(ns, "web-0-abc")), status));

        Assert.True(code == HttpStatusCode.UnprocessableEntity, $"{why}: {(int)code} {body.ToJsonString()}");
        Assert.Contains(body["details"]!["causes"]!.AsArray(), c => c?["field"]?.ToString() == field);
    }

    [Fact]
    public async Task A_signer_may_deny_with_a_condition_alone()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("Ed25519");
        await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns));
        var denial = new JsonObject { ["conditions"] = new JsonArray(Condition("Denied", reason: "UnsupportedKeyType")) };

        var (code, body) = await cluster.Api.SendAsync(HttpMethod.Put, Path(ns, "web-0-abc", "status"), WithStatus(await cluster.Api.GetAsync(Path(ns, "web-0-abc")), denial));

        Assert.True(code == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("UnsupportedKeyType", body["status"]!["conditions"]![0]!["reason"]!.ToString());
    }

    /// <summary>A stub PKCS#10 request as kubelet 1.36 makes one: empty subject, signed by the key it carries.</summary>
    private static (JsonObject Spec, byte[] Spki) StubRequestSpec(string keyKind)
    {
        using AsymmetricAlgorithm key = keyKind == "RSA 2048" || keyKind.StartsWith("RSA", StringComparison.Ordinal)
            ? RSA.Create(keyKind == "RSA 2048" ? 2048 : 3072)
            : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest(new X500DistinguishedName(""), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(new X500DistinguishedName(""), (ECDsa)key, HashAlgorithmName.SHA256);
        var spec = PodCertificateRequestFixture.For("ECDSA P-256").Spec();
        spec.Remove("pkixPublicKey");
        spec.Remove("proofOfPossession");
        spec["stubPKCS10Request"] = Convert.ToBase64String(request.CreateSigningRequest());
        return (spec, key.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("ECDSA P-256")]
    [InlineData("RSA 3072")]
    public async Task A_stub_PKCS10_request_stands_in_for_the_key_and_its_proof_and_the_certificate_goes_to_its_key(string keyKind)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var (spec, spki) = StubRequestSpec(keyKind);
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        var now = NowToTheSecond();

        var (created, body) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("web-0-abc", ns, spec));
        var (toAnotherKey, _) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc", "status"),
            new JsonObject { ["status"] = Issued(fixture, now, TimeSpan.FromHours(2), TimeSpan.FromHours(1)) }, "application/merge-patch+json");
        var (issued, issuedBody) = await cluster.Api.SendAsync(HttpMethod.Patch, Path(ns, "web-0-abc", "status"),
            new JsonObject { ["status"] = Issued(fixture, now, TimeSpan.FromHours(2), TimeSpan.FromHours(1), toKey: spki) }, "application/merge-patch+json");

        Assert.True(created == HttpStatusCode.Created, body.ToJsonString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, toAnotherKey);
        Assert.True(issued == HttpStatusCode.OK, issuedBody.ToJsonString());
    }

    public static TheoryData<string, string> InvalidStubRequests => new()
    {
        { "a stub request next to a pkixPublicKey", "spec.pkixPublicKey" },
        { "a stub request whose signature does not verify", "spec.stubPKCS10Request" },
        { "a stub request that is not PKCS#10", "spec.stubPKCS10Request" },
        { "a stub request for an RSA 2048 key", "spec.stubPKCS10Request" },
    };

    [Theory]
    [MemberData(nameof(InvalidStubRequests))]
    public async Task Stub_PKCS10_requests_are_refused_naming_the_field(string why, string field)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        var (spec, _) = StubRequestSpec(why == "a stub request for an RSA 2048 key" ? "RSA 2048" : "ECDSA P-256");
        switch (why)
        {
            case "a stub request next to a pkixPublicKey":
                spec["pkixPublicKey"] = Convert.ToBase64String(fixture.Spki);
                break;
            case "a stub request whose signature does not verify":
                var der = Convert.FromBase64String(spec["stubPKCS10Request"]!.ToString());
                der[^3] ^= 0x01;
                spec["stubPKCS10Request"] = Convert.ToBase64String(der);
                break;
            case "a stub request that is not PKCS#10":
                spec["stubPKCS10Request"] = Convert.ToBase64String(fixture.Spki);
                break;
        }

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request("bad", ns, spec));

        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{why}: {(int)status} {body.ToJsonString()}");
        Assert.Contains(body["details"]!["causes"]!.AsArray(), c => c?["field"]?.ToString() == field);
    }

    [Fact]
    public async Task A_cluster_started_without_pod_certificates_does_not_serve_them()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local, new LocalClusterOptions { ServesPodCertificateRequests = false });

        var resources = await cluster.Client.CertificatesV1beta1.GetAPIResourcesAsync();
        var (status, _) = await cluster.Api.GetAsync(Path("default"));

        Assert.DoesNotContain(resources.Resources, r => r.Name.StartsWith("podcertificaterequests", StringComparison.Ordinal));
        Assert.Contains(resources.Resources, r => r.Name == "clustertrustbundles");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Discovery_serves_podcertificaterequests_namespaced_with_status()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);

        var resources = await cluster.Client.CertificatesV1beta1.GetAPIResourcesAsync();

        Assert.True(Assert.Single(resources.Resources, r => r.Name == "podcertificaterequests").Namespaced);
        Assert.Single(resources.Resources, r => r.Name == "podcertificaterequests/status");
    }

    public static TheoryData<string> KubectlVersions => ["1.32", "1.34", "1.35"];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task Kubectl_applies_lists_and_is_refused_as_against_kube_apiserver(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var fixture = PodCertificateRequestFixture.For("ECDSA P-256");
        var bad = fixture.Request("bad", ns);
        bad["spec"]!["maxExpirationSeconds"] = 60;

        var applied = await kubectl.ApplyAsync(fixture.Request("web-0-abc", ns).ToJsonString());
        var listed = await kubectl.OkAsync("get", "podcertificaterequests", "-n", ns, "-o", "name");
        var table = await kubectl.OkAsync("get", "podcertificaterequests", "-n", ns);
        var refused = await kubectl.RunWithInputAsync(bad.ToJsonString(), "apply", "-f", "-");

        Assert.Contains("podcertificaterequest.certificates.k8s.io/web-0-abc created", applied, StringComparison.Ordinal);
        Assert.Equal("podcertificaterequest.certificates.k8s.io/web-0-abc", listed.Trim());
        Assert.Matches(@"web-0-abc\s", table);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("spec.maxExpirationSeconds: Invalid value: 60: must be in the range [3600, 7862400]", refused.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_and_proofs_made_by_openssl_are_accepted()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var folder = Directory.CreateTempSubdirectory("sigil-pcr-").FullName;
        try
        {
            var uidFile = System.IO.Path.Combine(folder, "uid");
            await File.WriteAllTextAsync(uidFile, PodCertificateRequestFixture.PodUid);
            foreach (var (name, generate, sign) in new[]
            {
                ("ed25519", new[] { "genpkey", "-algorithm", "ed25519" }, new[] { "pkeyutl", "-sign", "-rawin" }),
                ("p384", new[] { "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384" }, new[] { "dgst", "-sha256", "-sign" }),
            })
            {
                var key = System.IO.Path.Combine(folder, name + ".pem");
                var spki = System.IO.Path.Combine(folder, name + ".spki");
                var proof = System.IO.Path.Combine(folder, name + ".sig");
                await OpensslAsync([.. generate, "-out", key]);
                await OpensslAsync("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", spki);
                await OpensslAsync(sign[0] == "dgst" ? [.. sign, key, "-out", proof, uidFile] : [.. sign, "-inkey", key, "-in", uidFile, "-out", proof]);
                var fixture = PodCertificateRequestFixture.FromBytes(await File.ReadAllBytesAsync(spki), await File.ReadAllBytesAsync(proof));

                var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, Path(ns), fixture.Request($"openssl-{name}", ns));

                Assert.True(status == HttpStatusCode.Created, $"{name}: {body.ToJsonString()}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task OpensslAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("openssl", args);
        Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', args)}: {result.Output}");
    }

    private static JsonObject WithStatus((HttpStatusCode Status, JsonObject Body) current, JsonObject status)
    {
        var obj = current.Body;
        obj["status"] = status;
        return obj;
    }
}
