using System.Text;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;

namespace Sigil.Client.Tests.Jwt;

public sealed class JwtSvidsTests
{
    private static FolderSnapshot Folder(Dictionary<string, string> files) =>
        new("/mounted/jwt", "v1", files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value)));

    [Fact]
    public void Each_audience_file_is_its_token_and_a_missing_audience_names_the_files_there_are()
    {
        var svids = JwtSvids.Parse(Folder(new() { ["orders.jwt"] = "a.b.c\n", ["vault.jwt"] = "d.e.f" }));

        Assert.Equal("a.b.c", svids.For("orders"));
        Assert.Equal(["orders", "vault"], svids.AudienceNames.Order(StringComparer.Ordinal));
        var missing = Assert.Throws<SigilCredentialException>(() => svids.For("billing"));
        Assert.Contains("orders.jwt", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a.b.c", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_with_no_token_or_a_file_that_is_not_a_compact_JWS_is_refused()
    {
        Assert.Throws<SigilCredentialException>(() => JwtSvids.Parse(Folder(new() { ["tls.crt"] = "x" })));
        Assert.Throws<SigilCredentialException>(() => JwtSvids.Parse(Folder(new() { ["orders.jwt"] = "not-a-jws" })));
    }
}
