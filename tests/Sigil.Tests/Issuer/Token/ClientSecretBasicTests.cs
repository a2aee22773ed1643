using System.Text;
using Sigil.Issuer.Token.ClientAuthentication;

namespace Sigil.Tests.Issuer.Token;

/// <summary>RFC 6749 2.3.1 Basic credentials: form-urlencoded id and secret, then base64.</summary>
public sealed class ClientSecretBasicTests
{
    private static string Basic(string raw) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(raw));

    [Theory]
    [InlineData("a form-urlencoded SPIFFE ID and secret are decoded", "spiffe%3A%2F%2Fcluster.local%2Fns%2Fshop%2Fsa%2Fpayments:s3cr%2Bt%3A", "spiffe://cluster.local/ns/shop/sa/payments", "s3cr+t:")]
    [InlineData("+ in either part is a space, as in any form", "id+one:two+words", "id one", "two words")]
    [InlineData("a secret may contain an encoded colon", "spiffe%3A%2F%2Fa%2Fb:x%3Ay", "spiffe://a/b", "x:y")]
    public void Basic_credentials_are_form_decoded_after_the_split(string sentence, string raw, string id, string secret)
    {
        Assert.True(ClientSecretBasic.TryRead(Basic(raw), out var clientId, out var clientSecret, out var problem), $"{sentence}: {problem}");
        Assert.Equal(id, clientId);
        Assert.Equal(secret, clientSecret);
    }

    [Theory]
    [InlineData("a naive unencoded SPIFFE ID is refused with the reason", "Basic-raw:spiffe://cluster.local/ns/shop/sa/payments:secret", "form-urlencoded")]
    [InlineData("another scheme is refused", "Bearer abc", "Basic scheme")]
    [InlineData("credentials that are not base64 are refused", "Basic !!!", "base64")]
    [InlineData("credentials without a colon are refused", "Basic-raw:justanid", "no ':'")]
    [InlineData("an empty secret is refused", "Basic-raw:id:", "client authentication failed")]
    public void Malformed_Basic_credentials_are_refused_with_a_safe_reason(string sentence, string header, string reason)
    {
        var value = header.StartsWith("Basic-raw:", StringComparison.Ordinal) ? Basic(header["Basic-raw:".Length..]) : header;

        Assert.False(ClientSecretBasic.TryRead(value, out _, out _, out var problem), sentence);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("secret\"", problem, StringComparison.Ordinal);
    }
}
