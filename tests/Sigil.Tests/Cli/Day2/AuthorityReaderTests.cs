using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Cli.Day2;
using Sigil.Identity;

namespace Sigil.Tests.Cli.Day2;

/// <summary>What `sigil ca status` reads out of the Secrets the operator writes (through the operator's own codecs), pure.</summary>
public sealed class AuthorityReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly FakeTimeProvider Clock = new(Now);

    private static string Fingerprint(CertificateAuthority ca) => Convert.ToHexStringLower(ca.Signer.GetCertHash(HashAlgorithmName.SHA256));

    private static V1Secret StateSecret(string name, AuthorityState state, bool withKeys, string? rotate = null)
    {
        var (data, json) = AuthorityStateCodec.Write(state, withKeys);
        var annotations = new Dictionary<string, string> { [AuthorityStateCodec.StateAnnotation] = json };
        if (rotate is not null)
        {
            annotations[Labels.RotateAnnotation] = rotate;
        }
        return new V1Secret { Metadata = new V1ObjectMeta { Name = name, Annotations = annotations }, Data = data };
    }

    [Fact]
    public void Every_CA_is_listed_with_its_state_fingerprint_and_validity_and_a_manual_rotation_with_what_was_acted_on()
    {
        using var active = CertificateAuthority.CreateRoot("cluster.local", Clock);
        using var prepared = CertificateAuthority.CreateRoot("cluster.local", Clock);
        using var retiring = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var state = new AuthorityState(active, Now.AddDays(-1), prepared, Now.AddMinutes(-5), true,
            [AuthorityTransitions.Retire(retiring, manual: true)], "r1", 3);

        var report = AuthorityReader.Read("sigil-system", StateSecret(AuthorityManager.DefaultSecretName, state, withKeys: true, rotate: "r2"), null, null);

        Assert.Null(report.Error);
        Assert.Equal(AuthorityManager.DefaultSecretName, report.Source);
        Assert.Equal(
            [("active", Fingerprint(active), (DateTimeOffset?)Now.AddDays(-1)), ("prepared (published)", Fingerprint(prepared), Now.AddMinutes(-5)), ("retiring (manual)", Fingerprint(retiring), null)],
            report.Cas.Select(c => (c.State, c.FingerprintSha256, c.Since)));
        Assert.Equal(active.NotAfter, report.Cas[0].NotAfter);
        Assert.Equal("r2", report.RotationRequested);
        Assert.Equal("r1", report.RotationActedOn);
        Assert.False(report.ActedOn("r2"));
        Assert.Contains("Manual rotation sigil.dev/rotate=r2 is requested and not yet acted on.", AuthorityTable.Render(report, Now), StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_CA_from_ca_secret_the_state_Sigil_keeps_beside_it_is_read_and_its_signer_is_the_active_CA()
    {
        using var signer = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var state = new AuthorityState(signer, null, null, null, false, [], null, 1);
        var trust = StateSecret(AuthorityManager.TrustStateSecretName, state, withKeys: false);
        trust.Data["signer.crt"] = Encoding.ASCII.GetBytes(signer.CertificatesPem);

        var report = AuthorityReader.Read("sigil-system", null, trust, null);

        Assert.Equal(AuthorityManager.TrustStateSecretName, report.Source);
        Assert.Equal([("active", Fingerprint(signer))], report.Cas.Select(c => (c.State, c.FingerprintSha256)));
    }

    [Fact]
    public void JWT_keys_are_listed_by_kid_with_their_state_and_step_times()
    {
        using var retired = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var active = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var prepared = JwtSigningKey.Generate(JwtSigningKey.RS256);
        var state = new JwtKeyState(
            [
                new JwtKeyRecord(retired.KeyId, retired.Algorithm, JwtKeyRole.Retiring, Now.AddDays(-14), Now.AddDays(-14), Now.AddDays(-13), Now.AddDays(-6)),
                new JwtKeyRecord(active.KeyId, active.Algorithm, JwtKeyRole.Active, Now.AddDays(-7), Now.AddDays(-7), Now.AddDays(-6)),
                new JwtKeyRecord(prepared.KeyId, prepared.Algorithm, JwtKeyRole.Prepared, Now.AddMinutes(-1)),
            ],
            new Dictionary<string, JwtSigningKey> { [retired.KeyId] = retired, [active.KeyId] = active, [prepared.KeyId] = prepared }, 4);
        var (data, json) = JwtKeyStateCodec.Write(state);
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var caSecret = StateSecret(AuthorityManager.DefaultSecretName, new AuthorityState(ca, null, null, null, false, [], null, 1), withKeys: true);

        var report = AuthorityReader.Read("sigil-system", caSecret, null,
            new V1Secret { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [JwtKeyStateCodec.StateAnnotation] = json } }, Data = data });

        Assert.Equal<JwtKeyEntry>(
        [
            new(retired.KeyId, "ES256", "retiring", Now.AddDays(-14), Now.AddDays(-14), Now.AddDays(-13), Now.AddDays(-6)),
            new(active.KeyId, "ES256", "active", Now.AddDays(-7), Now.AddDays(-7), Now.AddDays(-6), null),
            new(prepared.KeyId, "RS256", "prepared", Now.AddMinutes(-1), null, null, null),
        ], report.JwtKeys);
    }

    [Theory]
    [InlineData("a garbled state annotation still lists the active CA", "{not json")]
    [InlineData("no state annotation (a Secret from before CA rotation) still lists the active CA", null)]
    public void A_state_annotation_it_cannot_read_leaves_the_certificates_listed(string because, string? annotation)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var secret = StateSecret(AuthorityManager.DefaultSecretName, new AuthorityState(ca, null, null, null, false, [], null, 1), withKeys: true);
        secret.Metadata.Annotations = annotation is null ? null : new Dictionary<string, string> { [AuthorityStateCodec.StateAnnotation] = annotation };

        var report = AuthorityReader.Read("sigil-system", secret, null, null);

        Assert.True(report.Cas is [{ State: "active" }], because);
    }

    [Fact]
    public void No_CA_Secret_in_the_namespace_says_to_check_sigil_namespace()
    {
        var report = AuthorityReader.Read("elsewhere", null, null, null);

        Assert.Contains("is Sigil installed there? (--sigil-namespace)", report.Error, StringComparison.Ordinal);
        Assert.Empty(report.Cas);
    }
}
