using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Authority;

/// <summary>CA rotation as an operator in a cluster does it: by hand, across crashes, and with a CA the platform team provides.</summary>
public sealed class CaRotationTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Steps => [LifecycleSteps.Prepare, LifecycleSteps.MarkPublished, LifecycleSteps.Activate, LifecycleSteps.MarkLeavesMoved, LifecycleSteps.Drop];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task An_operator_stopped_after_any_CA_step_finishes_the_rotation_once_after_restart(string step)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = Propagation });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.CreateAsync(ns, OperatorUnderTest.Identity("worker"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);
        await op.WaitForAsync(ns, "worker", Reasons.Issued);
        var original = Certificates(await CaSecretAsync(op), "tls.crt")[0].Thumbprint;
        await op.StopAsync();

        // The "crash": the lifecycle hangs right after the step is stored, until the operator is stopped.
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        op.CaStepHook = async (at, ct) =>
        {
            if (at == step && crashed.TrySetResult())
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        await op.StartAsync();
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"crash"}}}""", V1Patch.PatchType.MergePatch),
            AuthorityManager.DefaultSecretName, op.Options.Namespace);
        await crashed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await op.StopAsync();
        op.CaStepHook = null;
        var midway = await CaSecretAsync(op);
        var successor = (midway.Data.ContainsKey("prepared.crt") ? Certificates(midway, "prepared.crt") : Certificates(midway, "tls.crt"))[0].Thumbprint;
        Assert.NotEqual(original, successor);

        await op.StartAsync();

        // Done: the successor signs, the original left every bundle, every leaf moved; nothing was generated twice.
        await Eventually.TrueAsync(async () =>
        {
            var ca = await CaSecretAsync(op);
            return Certificates(ca, "tls.crt")[0].Thumbprint == successor && !ca.Data.ContainsKey("retiring.crt") && !ca.Data.ContainsKey("prepared.crt");
        }, TimeSpan.FromSeconds(30), "the rotation never finished");
        var final = await CaSecretAsync(op);
        // The drop is stored first, then published: the bundles follow within a pass.
        X509Certificate2Collection bundle = [];
        await Eventually.TrueAsync(async () => (bundle = Certificates(await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns), "ca.crt"))
            .Select(c => c.Thumbprint).SequenceEqual([successor]), TimeSpan.FromSeconds(15), "the namespace's bundle never dropped the original CA");
        foreach (var name in new[] { "api", "worker" })
        {
            await Eventually.TrueAsync(async () =>
            {
                var secret = (await op.SecretAsync(ns, name + "-svid"))!;
                return Certificates(secret, "ca.crt").Select(c => c.Thumbprint).SequenceEqual([successor]) && Verifies(secret, bundle);
            }, TimeSpan.FromSeconds(15), $"{name} never moved to the new CA");
        }
        Assert.Contains("\"rotationRequest\":\"crash\"", final.Metadata.Annotations[AuthorityStateCodec.StateAnnotation], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Secret_left_behind_does_not_keep_a_CA_retired_by_hand_in_the_bundles()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = Propagation });
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);
        // The old Secret stays (Sigil never deletes a credential a pod may still mount), holding a leaf of the old CA.
        await op.PatchAsync(ns, "api", """{"spec":{"x509":{"secretName":"api-tls"}}}""");
        await op.WaitForAsync(ns, "api", Reasons.Issued, i => i.Status?.X509?.SecretName == "api-tls");

        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"left-behind"}}}""", V1Patch.PatchType.MergePatch),
            AuthorityManager.DefaultSecretName, op.Options.Namespace);

        await Eventually.TrueAsync(async () =>
        {
            var ca = await CaSecretAsync(op);
            return ca.Metadata.Annotations[AuthorityStateCodec.StateAnnotation].Contains("left-behind", StringComparison.Ordinal) && !ca.Data.ContainsKey("retiring.crt");
        }, TimeSpan.FromSeconds(30), "the CA retired by hand stayed in the bundles");
    }

    [Fact]
    public async Task A_replaced_ca_secret_retires_the_old_CA_and_an_expiring_one_is_a_warning()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = Propagation, CaSecret = "corp-ca" }, start: false);
        await using var _ = op;
        // Ten days old, two days to go: past the point where Sigil would have prepared a successor of its own.
        using var expiring = AgedRoot(TimeSpan.FromDays(10), TimeSpan.FromDays(2));
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(CaSecret(expiring), op.Options.Namespace);
        await op.StartAsync();
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));
        await op.WaitForAsync(ns, "api", Reasons.Issued);

        await Eventually.TrueAsync(async () => (await cluster.Client.EventsV1.ListNamespacedEventAsync(op.Options.Namespace)).Items
            .Any(e => e.Reason == Reasons.CAExpiring && e.Regarding.Name == "corp-ca" && e.Type == "Warning" && e.Note.Contains(expiring.NotAfter.ToString("u"), StringComparison.Ordinal)),
            TimeSpan.FromSeconds(15), "no CAExpiring warning on the CA Secret");

        using var replacement = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var stored = (await op.SecretAsync(op.Options.Namespace, "corp-ca"))!;
        stored.Data = CaSecret(replacement).Data;
        await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(stored, "corp-ca", op.Options.Namespace);

        // The old CA stays trusted (it has not expired); every leaf moves to the new one within --bundle-propagation.
        await Eventually.TrueAsync(async () =>
        {
            var secret = (await op.SecretAsync(ns, "api-svid"))!;
            return Certificates(secret, "tls.crt")[0].Issuer == replacement.Signer.Subject
                && Certificates(secret, "ca.crt").Select(c => c.Thumbprint).Order().SequenceEqual(new[] { expiring.Signer.Thumbprint, replacement.Signer.Thumbprint }.Order());
        }, TimeSpan.FromSeconds(60), "the leaf never moved to the replacement CA");
        var bundle = Certificates(await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("sigil-trust-bundle", ns), "ca.crt");
        Assert.Equal(2, bundle.Count);
        Assert.NotNull(await op.SecretAsync(op.Options.Namespace, AuthorityManager.TrustStateSecretName));
        Assert.Equal(CaSecret(replacement).Data["tls.crt"], (await op.SecretAsync(op.Options.Namespace, "corp-ca"))!.Data["tls.crt"]);
    }

    [Fact]
    public async Task With_an_expired_ca_secret_nothing_valid_can_be_issued_and_identities_say_so()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = Propagation, CaSecret = "corp-ca" }, start: false);
        await using var _ = op;
        using var expired = AgedRoot(TimeSpan.FromDays(30), TimeSpan.FromDays(-1));
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(CaSecret(expired), op.Options.Namespace);
        await op.StartAsync();
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("api"));

        var failed = await op.WaitForAsync(ns, "api", Reasons.IssuanceFailed);
        Assert.Contains("expired", failed.Status!.Conditions![0].Message, StringComparison.Ordinal);
        Assert.Null(await op.SecretAsync(ns, "api-svid"));
    }

    private static CertificateAuthority AgedRoot(TimeSpan age, TimeSpan left)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=corp, CN=corp issuing CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now - age, now + left);
        return CertificateAuthority.FromPem(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static V1Secret CaSecret(CertificateAuthority ca) => new()
    {
        Metadata = new V1ObjectMeta { Name = "corp-ca" },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(ca.CertificatesPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(ca.PrivateKeyPem),
        },
    };

    private static async Task<V1Secret> CaSecretAsync(OperatorUnderTest op) => (await op.SecretAsync(op.Options.Namespace, AuthorityManager.DefaultSecretName))!;

    private static X509Certificate2Collection Certificates(V1Secret secret, string key) => Pem(Encoding.ASCII.GetString(secret.Data[key]));

    private static X509Certificate2Collection Certificates(V1ConfigMap map, string key) => Pem(map.Data[key]);

    private static X509Certificate2Collection Pem(string pem) => TrustChecks.Pem(pem);

    private static bool Verifies(V1Secret secret, X509Certificate2Collection bundle) => TrustChecks.WhyNotTrusted(Certificates(secret, "tls.crt")[0], bundle) is null;
}
