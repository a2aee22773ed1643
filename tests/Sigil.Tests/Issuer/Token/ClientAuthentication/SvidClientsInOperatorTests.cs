using System.Text.Json;
using k8s.Models;
using Sigil.Api;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>tls_client_auth end to end: the operator issues an identity's SVID Secret, and curl presents those very files to its issuer.</summary>
public sealed class SvidClientsInOperatorTests : IDisposable
{
    // Folders holding the SVID keys read from the cluster, removed after the test.
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Curl_presenting_the_SVID_Secret_Sigil_wrote_gets_a_certificate_bound_token_and_an_identity_without_spec_oauth2_does_not()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var payments = OperatorUnderTest.Identity("payments");
        payments.Spec.OAuth2 = new OAuth2Spec();
        await op.CreateAsync(ns, payments);
        var orders = OperatorUnderTest.Identity("orders");
        orders.Spec.AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "payments", Scopes = ["orders.read"] }];
        await op.CreateAsync(ns, orders);
        await op.WaitForAsync(ns, "payments", Reasons.Issued);
        await op.WaitForAsync(ns, "orders", Reasons.Issued);

        var (status, body) = await CurlAsync(op, await WriteSecretAsync(op, ns, "payments-svid"), "audience=orders");
        var (refusedStatus, refused) = await CurlAsync(op, await WriteSecretAsync(op, ns, "orders-svid"), "audience=payments");

        Assert.True(status == 200, body.ToString());
        var claims = new Answer(System.Net.HttpStatusCode.OK, body, null, null, null, null).Claims();
        Assert.Equal($"spiffe://cluster.local/ns/{ns}/sa/payments", claims.GetProperty("sub").GetString());
        Assert.Equal("orders.read", claims.GetProperty("scope").GetString());
        var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(OperatorUnderTest.Text((await op.SecretAsync(ns, "payments-svid"))!, "tls.crt"));
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(leaf.RawData)),
            claims.GetProperty("cnf").GetProperty("x5t#S256").GetString());
        Assert.Equal(401, refusedStatus);
        Assert.Equal("invalid_client", refused.GetProperty("error").GetString());
    }

    private async Task<string> WriteSecretAsync(OperatorUnderTest op, string ns, string name)
    {
        var secret = (await op.SecretAsync(ns, name))!;
        var folder = Directory.CreateTempSubdirectory("sigil-svid-secret-").FullName;
        _folders.Add(folder);
        foreach (var key in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, key), secret.Data[key]);
        }
        return folder;
    }

    private static async Task<(int Status, JsonElement Body)> CurlAsync(OperatorUnderTest op, string folder, string audience)
    {
        var curl = await ProcessRunner.RunAsync("curl",
            ["-sS", "--cert", "tls.crt", "--key", "tls.key", "--cacert", "ca.crt", "-w", "\n%{http_code}",
             "--data-urlencode", "grant_type=client_credentials", "--data-urlencode", audience, op.Host!.IssuerUrl + "/oauth2/token"],
            workingDirectory: folder);
        Assert.True(curl.ExitCode == 0, $"curl failed: {curl.Stderr}");
        var lines = curl.Stdout.TrimEnd().Split('\n');
        return (int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture), JsonDocument.Parse(string.Join('\n', lines[..^1])).RootElement.Clone());
    }
}
