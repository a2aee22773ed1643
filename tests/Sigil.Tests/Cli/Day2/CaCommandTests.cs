using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Cli.Day2;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli.Day2;

/// <summary>`sigil ca status` and `sigil ca rotate` against a cluster with the operator running.</summary>
public sealed class CaCommandTests
{
    private static async Task<string> ActiveFingerprintAsync(OperatorUnderTest op)
    {
        var secret = (await op.SecretAsync(op.Options.Namespace, AuthorityManager.DefaultSecretName))!;
        using var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(secret.Data["tls.crt"]));
        return Convert.ToHexStringLower(ca.GetCertHash(HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task Ca_status_shows_the_active_CA_by_its_fingerprint_and_the_signing_JWT_key_by_its_kid()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var fingerprint = await ActiveFingerprintAsync(op);
        var kid = Assert.Single((await op.SecretAsync(op.Options.Namespace, AuthorityManager.JwtKeysSecretName))!.Data.Keys)[..^".key".Length];

        var table = await Day2Cli.RunAsync(cluster.KubeconfigPath, "ca", "status", "--sigil-namespace", op.Options.Namespace);
        var json = await Day2Cli.RunAsync(cluster.KubeconfigPath, "ca", "status", "--sigil-namespace", op.Options.Namespace, "-o", "json");
        var wrongNamespace = await Day2Cli.RunAsync(cluster.KubeconfigPath, "ca", "status", "--sigil-namespace", "nowhere");

        Assert.True(table.ExitCode == ExitCodes.Ok, table.Output);
        Assert.Contains(table.Stdout.Split('\n'), l => l.StartsWith("active ", StringComparison.Ordinal) && l.Contains(fingerprint[..16], StringComparison.Ordinal) && l.Contains("in 364d", StringComparison.Ordinal));
        Assert.Contains(table.Stdout.Split('\n'), l => l.StartsWith(kid, StringComparison.Ordinal) && l.Contains(" active ", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.Stdout);
        var ca = Assert.Single(document.RootElement.GetProperty("cas").EnumerateArray());
        Assert.Equal("active", ca.GetProperty("state").GetString());
        Assert.Equal(fingerprint, ca.GetProperty("fingerprintSHA256").GetString());
        Assert.Equal(kid, document.RootElement.GetProperty("jwtKeys")[0].GetProperty("kid").GetString());
        Assert.Equal(ExitCodes.Failed, wrongNamespace.ExitCode);
        Assert.Contains("is Sigil installed there? (--sigil-namespace)", wrongNamespace.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ca_rotate_wait_returns_once_a_new_CA_is_prepared_beside_the_active_one()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        // A propagation time long enough that the prepared CA is still waiting to sign when the test looks.
        await using var op = await OperatorUnderTest.StartAsync(cluster, new OperatorOptions { BundlePropagation = TimeSpan.FromMinutes(5) });
        var before = await ActiveFingerprintAsync(op);

        var rotate = await Day2Cli.RunAsync(cluster.KubeconfigPath, "ca", "rotate", "--wait", "--timeout", "60s", "--sigil-namespace", op.Options.Namespace);
        var status = await Day2Cli.RunAsync(cluster.KubeconfigPath, "ca", "status", "--sigil-namespace", op.Options.Namespace, "-o", "json");

        Assert.True(rotate.ExitCode == ExitCodes.Ok, rotate.Output);
        var secret = (await op.SecretAsync(op.Options.Namespace, AuthorityManager.DefaultSecretName))!;
        var request = secret.Metadata.Annotations[Labels.RotateAnnotation];
        Assert.Contains($"CA rotation requested (sigil.dev/rotate={request})", rotate.Stdout, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(status.Stdout);
        var cas = document.RootElement.GetProperty("cas").EnumerateArray().ToList();
        Assert.Equal(before, cas.Single(c => c.GetProperty("state").GetString() == "active").GetProperty("fingerprintSHA256").GetString());
        var prepared = Assert.Single(cas, c => c.GetProperty("state").GetString()!.StartsWith("prepared", StringComparison.Ordinal));
        Assert.NotEqual(before, prepared.GetProperty("fingerprintSHA256").GetString());
        Assert.Equal(request, document.RootElement.GetProperty("rotationActedOn").GetString());
    }
}
