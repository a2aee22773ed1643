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

        await op.CreateAsync(ns, OperatorUnderTest.Identity("payments", new X509Spec { DnsNames = [$"payments.{ns}.svc"] }));
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
        await op.PassAfterAsync(ns, "steady", () => op.PatchAsync(ns, "steady", """{"metadata":{"labels":{"poke":"1"}}}"""));

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

        await op.PatchAsync(ns, "web", """{"spec":{"x509":{"dnsNames":["web.""" + ns + """.svc"],"keyAlgorithm":"RSA2048"}}}""");

        var second = await op.WaitForAsync(ns, "web", Reasons.Issued, i => i.Status!.X509!.KeyAlgorithm == "RSA2048" && i.Status.ObservedGeneration == 2);
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "web-svid"))!, "tls.crt"));
        Assert.NotEqual(first.Status!.X509!.SerialNumber, second.Status!.X509!.SerialNumber);
        Assert.Equal([$"web.{ns}.svc"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
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
        await op.PassAfterAsync(ns, "pay", () => op.PatchAsync(ns, "pay", """{"metadata":{"labels":{"unrelated":"change"}}}"""));
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
        // The create that found the name taken is a reason to look again, not a failed pass: no warning, no error counted.
        Assert.DoesNotContain(op.Logs.Lines, l => l.Contains("failed to reconcile", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_invalid_spec_is_reported_writes_nothing_and_leaves_other_identities_alone(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();

        // The CRD's rules (CEL, which the emulator evaluates too) admit a zero renewBefore, shorter than ttl; the operator refuses it.
        await op.CreateAsync(ns, OperatorUnderTest.Identity("bad", new X509Spec { Ttl = "1h", RenewBefore = "0s" }));
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

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_identity_may_claim_another_namespaces_name_only_once_its_Namespace_allows_it(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var evil = await cluster.CreateNamespaceAsync("evil");
        var other = await cluster.CreateNamespaceAsync("other");

        await op.CreateAsync(evil, OperatorUnderTest.Identity("thief", new X509Spec { DnsNames = ["payments.shop.svc"] }));
        var thief = await op.WaitForAsync(evil, "thief", Reasons.NotAllowed);
        await AllowDnsNamesAsync(cluster, evil, "*.shop.example.com");
        await op.CreateAsync(evil, OperatorUnderTest.Identity("api", new X509Spec { DnsNames = ["api.shop.example.com", $"api.{evil}.svc"] }));
        await op.CreateAsync(evil, OperatorUnderTest.Identity("deep", new X509Spec { DnsNames = ["x.y.shop.example.com"] }));
        await op.CreateAsync(evil, OperatorUnderTest.Identity("parent", new X509Spec { DnsNames = ["shop.example.com"] }));
        await op.CreateAsync(other, OperatorUnderTest.Identity("api", new X509Spec { DnsNames = ["api.shop.example.com"] }));
        await op.WaitForAsync(evil, "api", Reasons.Issued);
        var deep = await op.WaitForAsync(evil, "deep", Reasons.NotAllowed);
        await op.WaitForAsync(evil, "parent", Reasons.NotAllowed);
        await op.WaitForAsync(other, "api", Reasons.NotAllowed);
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(evil, "api-svid"))!, "tls.crt"));

        Assert.Equal(["api.shop.example.com", $"api.{evil}.svc"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        var ready = thief.Status!.Conditions!.Single(c => c.Type == "Ready");
        Assert.Equal("False", ready.Status);
        Assert.Equal($"spec.x509.dnsNames \"payments.shop.svc\" is not a name of namespace {evil}: names outside it need the Namespace annotation sigil.dev/allowed-dns-names", ready.Message);
        Assert.Contains("x.y.shop.example.com", deep.Status!.Conditions!.Single().Message, StringComparison.Ordinal);
        Assert.Equal(Reasons.NotAllowed, (await op.GetAsync(evil, "thief")).Status!.Conditions!.Single().Reason);
        foreach (var (ns, name) in new[] { (evil, "thief"), (evil, "deep"), (evil, "parent"), (other, "api") })
        {
            Assert.Null(await op.SecretAsync(ns, $"{name}-svid"));
        }
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(evil, fieldSelector: "involvedObject.name=thief")).Items;
        Assert.Contains(events, e => e.Reason == Reasons.NotAllowed && e.Type == "Warning" && e.Message.Contains("payments.shop.svc", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Annotating_the_Namespace_issues_a_NotAllowed_identity_without_touching_it(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("late", new X509Spec { DnsNames = ["late.example.com"] }));
        var refused = await op.WaitForAsync(ns, "late", Reasons.NotAllowed);

        await AllowDnsNamesAsync(cluster, ns, " other.example.com , late.example.com");

        var issued = await op.WaitForAsync(ns, "late", Reasons.Issued);
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "late-svid"))!, "tls.crt"));
        Assert.Equal(refused.Metadata.Generation, issued.Metadata.Generation);
        Assert.Equal(["late.example.com"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    [Fact]
    public async Task A_name_it_may_not_claim_stops_the_certificate_but_not_the_API_keys_and_never_renews_with_it()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        var caller = OperatorUnderTest.Caller("payments", "orders");
        caller.Spec.X509 = new X509Spec { DnsNames = [$"payments.{ns}.svc"] };
        await op.CreateAsync(ns, caller);
        var issued = await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });

        await op.PatchAsync(ns, "payments", """{"spec":{"x509":{"dnsNames":["payments.shop.svc"]},"apiKeys":[{"name":"k","audience":"orders","rotation":{"every":"720h","gracePeriod":"1h"}},{"name":"second","audience":"orders","rotation":{"every":"720h"}}]}}""");

        var refused = await op.WaitForAsync(ns, "payments", Reasons.NotAllowed, i => i.Status?.ApiKeys is { Count: 2 });
        using var leaf = X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "payments-svid"))!, "tls.crt"));
        Assert.Equal(issued.Status!.X509!.SerialNumber, Convert.ToHexStringLower(leaf.SerialNumberBytes.Span));
        Assert.Equal([$"payments.{ns}.svc"], leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal(issued.Status.X509.SerialNumber, refused.Status!.X509!.SerialNumber);
        Assert.Null(refused.Status.X509.RenewalTime);
        Assert.NotNull(await op.SecretAsync(ns, "payments-second-apikey"));
        Assert.Contains(await op.VerifierAsync(ns, "orders"), e => e.Name == "second");
    }

    [Fact]
    public async Task The_older_of_two_identities_naming_one_Secret_keeps_it_and_the_newer_never_writes_even_when_reconciled_first()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster, start: false);
        var ns = await cluster.CreateNamespaceAsync();
        // The older identity's name sorts last, so neither name order nor queue order can pick the winner by accident.
        await op.CreateAsync(ns, OperatorUnderTest.Identity("zeta", new X509Spec { SecretName = "shared" }));
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var newer = OperatorUnderTest.Caller("alpha", "zeta");
        newer.Spec.ApiKeys![0].SecretName = "shared";
        await op.CreateAsync(ns, newer);
        local.Requests.Clear();

        await op.StartAsync();
        await op.WaitForAsync(ns, "zeta", Reasons.Issued);
        var loser = await op.WaitForAsync(ns, "alpha", Reasons.SecretConflict);
        await op.PassAfterAsync(ns, "alpha", () => op.PatchAsync(ns, "alpha", """{"metadata":{"labels":{"poke":"1"}}}"""));
        await op.PassAfterAsync(ns, "zeta", () => op.PatchAsync(ns, "zeta", """{"metadata":{"labels":{"poke":"1"}}}"""));

        Assert.Equal("spec.apiKeys[k].secretName \"shared\" is already spec.x509.secretName of ServiceIdentity zeta, which is older: choose another name",
            loser.Status!.Conditions!.Single().Message);
        Assert.Equal(1, local.Requests.Count("create", "secrets", ns) + local.Requests.Count("update", "secrets", ns));
        Assert.Equal("zeta", (await op.SecretAsync(ns, "shared"))!.Metadata.Labels["sigil.dev/identity"]);

        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ServiceIdentity.Group, ServiceIdentity.Version, ns, ServiceIdentity.Plural, "zeta");

        // The freed name reaches the newer identity (which nothing else wakes: its audience is gone, and the Secret was zeta's).
        // (Within the conflict recheck as well: once, on a loaded machine, a pass that saw zeta's Secret still cached won the race.)
        try
        {
            await op.WaitForAsync(ns, "alpha", Reasons.Pending, within: TimeSpan.FromSeconds(90));
        }
        catch (Xunit.Sdk.XunitException)
        {
            var stuck = await op.GetAsync(ns, "alpha");
            var shared = await op.SecretAsync(ns, "shared");
            throw new Xunit.Sdk.XunitException($"alpha stayed {stuck.Status?.Conditions?[0].Reason}: {stuck.Status?.Conditions?[0].Message}; Secret shared: "
                + (shared is null ? "absent" : $"owned by {shared.Metadata.Labels?["sigil.dev/identity"]}") + "\n" + string.Join("\n", op.Logs.Lines.TakeLast(30)));
        }
        Assert.Equal("alpha", (await op.SecretAsync(ns, "shared"))!.Metadata.Labels["sigil.dev/identity"]);
    }

    [Fact]
    public async Task Two_credentials_of_one_identity_naming_one_Secret_write_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        local.Requests.Clear();
        var both = OperatorUnderTest.Caller("both", "both");
        both.Spec.X509 = new X509Spec { SecretName = "both-k-apikey" };

        await op.CreateAsync(ns, both);

        var refused = await op.WaitForAsync(ns, "both", Reasons.SecretConflict);
        Assert.Equal("spec.apiKeys[k].secretName \"both-k-apikey\" is also spec.x509.secretName: give each credential a Secret of its own", refused.Status!.Conditions!.Single().Message);
        Assert.Equal(0, local.Requests.Writes("secrets", ns));
    }

    private static Task<V1Namespace> AllowDnsNamesAsync(TestCluster cluster, string ns, string names) =>
        cluster.Client.CoreV1.PatchNamespaceAsync(new V1Patch(
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { annotations = new Dictionary<string, string> { ["sigil.dev/allowed-dns-names"] = names } } }),
            V1Patch.PatchType.MergePatch), ns);
}
