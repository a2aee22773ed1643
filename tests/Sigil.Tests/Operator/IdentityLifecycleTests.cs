using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Sigil.Api;
using Sigil.Tests.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Operator;

/// <summary>What a user sees from the operator, through the API: issue, reissue, rotate, renew, refuse.</summary>
public sealed class IdentityLifecycleTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_new_identity_becomes_Ready_with_a_valid_SVID_Secret_and_a_trust_bundle(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments", new X509Spec { DnsNames = ["payments.shop.svc"] }));
        var identity = await op.WaitForAsync(ns, "payments", Reasons.Issued);
        var secret = (await op.SecretAsync(ns, "payments-svid"))!;
        var bundle = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns);

        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", identity.Status!.SpiffeId);
        Assert.Equal("True", identity.Status.Conditions!.Single(c => c.Type == "Ready").Status);
        Assert.Equal(identity.Metadata.Generation, identity.Status.ObservedGeneration);
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal("sigil", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("payments", secret.Metadata.Labels["sigil.dev/identity"]);
        Assert.Equal(identity.Status.SpiffeId, secret.Metadata.Annotations["sigil.dev/spiffe-id"]);
        Assert.Equal(identity.Metadata.Uid, Assert.Single(secret.Metadata.OwnerReferences).Uid);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", OperatorUnderTest.Text(secret, "tls.key"), StringComparison.Ordinal);
        Assert.Equal(OperatorUnderTest.Text(secret, "ca.crt"), bundle.Data["ca.crt"]);
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text(secret, "tls.crt"), OperatorUnderTest.Text(secret, "tls.key"));
        SvidIssuerTests.AssertChainsTo(leaf, bundle.Data["ca.crt"]);
        Assert.Equal(Convert.ToHexStringLower(leaf.SerialNumberBytes.Span), identity.Status.X509!.SerialNumber);
        Assert.Equal(identity.Status.X509.RenewalTime, identity.Status.NextRotationTime);
        Assert.InRange(identity.Status.X509.RenewalTime!.Value, identity.Status.X509.NotAfter!.Value.AddHours(-8).AddMinutes(-5).AddSeconds(-1), identity.Status.X509.NotAfter.Value.AddHours(-8));
    }

    [Fact]
    public async Task With_ca_secret_an_intermediate_signs_and_its_chain_follows_the_leaf()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var root = Sigil.Identity.CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        using var intermediateKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=platform intermediate", intermediateKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var intermediate = request.Create(root.Signer, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(30), [0x17]);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new Sigil.Operator.OperatorOptions { CaSecret = "platform-ca", Namespace = "sigil-platform" }, start: false);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "platform-ca" },
            Type = "kubernetes.io/tls",
            StringData = new Dictionary<string, string>
            {
                ["tls.crt"] = intermediate.ExportCertificatePem() + "\n" + root.Signer.ExportCertificatePem(),
                ["tls.key"] = intermediateKey.ExportPkcs8PrivateKeyPem(),
            },
        }, "sigil-platform");
        await op.StartAsync();
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("chained"));
        await op.WaitForAsync(ns, "chained", Reasons.Issued);
        var secret = (await op.SecretAsync(ns, "chained-svid"))!;
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(OperatorUnderTest.Text(secret, "tls.crt"));

        Assert.Equal(2, chain.Count);
        Assert.Equal(intermediate.Thumbprint, chain[1].Thumbprint);
        Assert.Equal(root.TrustBundlePem, OperatorUnderTest.Text(secret, "ca.crt"));
        SvidIssuerTests.AssertChainsTo(chain[0], root.TrustBundlePem, chain[1]);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedSecretAsync("sigil-platform", fieldSelector: "metadata.name=sigil-ca")).Items);
    }

    [Fact]
    public async Task A_CA_without_a_key_identifier_does_not_make_every_pass_reissue()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=platform root without SKI", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        await using var op = await OperatorUnderTest.StartAsync(cluster, new Sigil.Operator.OperatorOptions { CaSecret = "no-ski", Namespace = "sigil-noski" }, start: false);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "no-ski" },
            StringData = new Dictionary<string, string> { ["tls.crt"] = root.ExportCertificatePem(), ["tls.key"] = key.ExportPkcs8PrivateKeyPem() },
        }, "sigil-noski");
        await op.StartAsync();
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("steady"));
        var first = await op.WaitForAsync(ns, "steady", Reasons.Issued);
        await op.PatchAsync(ns, "steady", """{"metadata":{"labels":{"poke":"1"}}}""");
        await Task.Delay(1500);

        Assert.Equal(first.Status!.X509!.SerialNumber, (await op.GetAsync(ns, "steady")).Status!.X509!.SerialNumber);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_deleted_Secret_is_issued_again(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        var first = await op.WaitForAsync(ns, "api", Reasons.Issued);

        await cluster.Client.CoreV1.DeleteNamespacedSecretAsync("api-svid", ns);

        var second = await op.WaitForAsync(ns, "api", Reasons.Issued, i => i.Status!.X509!.SerialNumber != first.Status!.X509!.SerialNumber);
        Assert.NotNull(await op.SecretAsync(ns, "api-svid"));
        Assert.Equal(second.Status!.X509!.SerialNumber, Convert.ToHexStringLower(X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "api-svid"))!, "tls.crt")).SerialNumberBytes.Span));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_spec_change_reissues_with_the_new_names_and_key_algorithm(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("web"));
        var first = await op.WaitForAsync(ns, "web", Reasons.Issued);

        await op.PatchAsync(ns, "web", """{"spec":{"x509":{"dnsNames":["web.shop.svc"],"keyAlgorithm":"RSA2048"}}}""");

        var second = await op.WaitForAsync(ns, "web", Reasons.Issued, i => i.Status!.X509!.KeyAlgorithm == "RSA2048" && i.Status.ObservedGeneration == 2);
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "web-svid"))!, "tls.crt"));
        Assert.NotEqual(first.Status!.X509!.SerialNumber, second.Status!.X509!.SerialNumber);
        Assert.Equal(["web.shop.svc"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal(2048, leaf.GetRSAPublicKey()!.KeySize);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_rotate_annotation_rotates_once_per_new_value(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("pay"));
        var first = await op.WaitForAsync(ns, "pay", Reasons.Issued);

        await op.PatchAsync(ns, "pay", """{"metadata":{"annotations":{"sigil.dev/rotate":"one"}}}""");
        var rotated = await op.WaitForAsync(ns, "pay", Reasons.Issued, i => i.Status!.LastRotationRequest == "one");
        await op.PatchAsync(ns, "pay", """{"metadata":{"labels":{"unrelated":"change"}}}""");
        await Task.Delay(1000);
        var after = await op.GetAsync(ns, "pay");

        Assert.NotEqual(first.Status!.X509!.SerialNumber, rotated.Status!.X509!.SerialNumber);
        Assert.Equal(rotated.Status.X509.SerialNumber, after.Status!.X509!.SerialNumber);
    }

    [Fact]
    public async Task A_certificate_renews_when_due_and_not_before()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("short", new X509Spec { Ttl = "1m", RenewBefore = "55s" }));
        var first = await op.WaitForAsync(ns, "short", Reasons.Issued);
        var renewed = await op.WaitForAsync(ns, "short", Reasons.Issued, i => i.Status!.X509!.SerialNumber != first.Status!.X509!.SerialNumber, TimeSpan.FromSeconds(30));

        Assert.True(renewed.Status!.LastRotationTime >= first.Status!.X509!.RenewalTime, "renewed no earlier than the renewal time");
        Assert.True(renewed.Status.LastRotationTime <= first.Status.X509.NotAfter!.Value.AddSeconds(-55), "renewed before notAfter - renewBefore");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_Secret_Sigil_did_not_create_is_never_overwritten(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var foreign = await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "taken-svid" },
            StringData = new Dictionary<string, string> { ["precious"] = "do not touch" },
        }, ns);

        await op.CreateAsync(ns, OperatorUnderTest.Identity("taken"));
        var identity = await op.WaitForAsync(ns, "taken", Reasons.SecretConflict);
        var after = (await op.SecretAsync(ns, "taken-svid"))!;

        Assert.Equal("False", identity.Status!.Conditions!.Single(c => c.Type == "Ready").Status);
        Assert.Contains("taken-svid", identity.Status.Conditions!.Single().Message, StringComparison.Ordinal);
        Assert.Equal(foreign.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Equal("do not touch", OperatorUnderTest.Text(after, "precious"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_invalid_spec_is_reported_writes_nothing_and_leaves_other_identities_alone(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        // A real cluster's CEL rule rejects this at admission; the emulator does not run CEL, so the operator must.
        try
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity("bad", new X509Spec { Ttl = "1h", RenewBefore = "2h" }));
        }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 422)
        {
            Assert.Contains("renewBefore", e.Response.Content, StringComparison.Ordinal);
            return;
        }
        await op.CreateAsync(ns, OperatorUnderTest.Identity("good"));

        var bad = await op.WaitForAsync(ns, "bad", Reasons.InvalidSpec);
        await op.WaitForAsync(ns, "good", Reasons.Issued);

        Assert.Contains("spec.x509.renewBefore", bad.Status!.Conditions!.Single().Message, StringComparison.Ordinal);
        Assert.Null(await op.SecretAsync(ns, "bad-svid"));
    }

    [Fact]
    public async Task A_trust_bundle_ConfigMap_Sigil_did_not_create_is_left_alone_and_not_retried_on_every_pass()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var theirs = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "sigil-trust-bundle" },
            Data = new Dictionary<string, string> { ["ca.crt"] = "their bundle" },
        }, ns);
        local.Requests.Clear();

        foreach (var name in new[] { "first", "second", "third" })
        {
            await op.CreateAsync(ns, OperatorUnderTest.Identity(name));
            await op.WaitForAsync(ns, name, Reasons.Issued);
        }
        var after = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns);

        Assert.Equal(theirs.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Equal("their bundle", after.Data["ca.crt"]);
        Assert.Equal(1, local.Requests.Count("create", "configmaps", ns));
        Assert.Single(op.Logs.Lines, l => l.Contains("was not created by Sigil", StringComparison.Ordinal));
    }
}
