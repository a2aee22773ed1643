using System.Text;
using Sigil.Client.Mounting;
using Sigil.Client.OAuth2;

namespace Sigil.Client.Tests.OAuth2;

public sealed class OAuth2ClientCredentialTests
{
    private const string Secret = "sgl_0a1b2c3d4e_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1wcmludGVk";

    private static FolderSnapshot Folder(string clientId, string secret, string endpoint) => new("/mounted/oauth2", "v1", new Dictionary<string, byte[]>
    {
        ["client-id"] = Encoding.UTF8.GetBytes(clientId),
        ["client-secret"] = Encoding.UTF8.GetBytes(secret),
        ["token-endpoint"] = Encoding.UTF8.GetBytes(endpoint),
    });

    [Fact]
    public void The_client_Secret_reads_as_a_SPIFFE_ID_a_secret_and_an_https_endpoint_and_prints_no_secret()
    {
        var credential = OAuth2ClientCredential.Parse(Folder("spiffe://cluster.local/ns/shop/sa/payments", Secret, "https://sigil.sigil-system.svc:8443/oauth2/token"));

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", credential.ClientId.ToString());
        Assert.Equal(Secret, credential.ClientSecret);
        Assert.Equal("https://sigil.sigil-system.svc:8443/oauth2/token", credential.TokenEndpoint.ToString());
        Assert.DoesNotContain(Secret, credential.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("payments", "https://sigil/oauth2/token", "client-id")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/payments", "http://sigil/oauth2/token", "token-endpoint")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/payments", "/oauth2/token", "token-endpoint")]
    public void A_client_Secret_that_does_not_parse_names_the_file_and_never_the_secret(string clientId, string endpoint, string file)
    {
        var error = Assert.Throws<SigilCredentialException>(() => OAuth2ClientCredential.Parse(Folder(clientId, Secret, endpoint)));
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }
}
