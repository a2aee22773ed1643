using System.Text;
using Sigil.Client.ApiKeys;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.ApiKeys;

public sealed class ApiKeyCredentialTests
{
    private static FolderSnapshot Folder(Dictionary<string, string> files) =>
        new("/mounted/key", "v1", files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value)));

    [Fact]
    public void A_caller_Secret_reads_as_its_key_id_key_and_hmac_secret_exactly_as_stored()
    {
        var key = ApiKeyFolders.NewKey();
        var files = ApiKeyFolders.Hmac(key);
        files["hmac-secret"] = key.HmacSecret + " ";

        var credential = ApiKeyCredential.Parse(Folder(files));

        Assert.Equal((key.KeyId, key.Key, key.HmacSecret + " "), (credential.KeyId, credential.Key, credential.HmacSecret));
        Assert.Equal($"API key {key.KeyId}", credential.ToString());
    }

    [Fact]
    public void A_key_whose_id_is_not_the_one_in_key_id_is_refused_without_printing_the_key()
    {
        var key = ApiKeyFolders.NewKey();
        var files = ApiKeyFolders.Bearer(key);
        files["key-id"] = ApiKeyFolders.NewKey().KeyId;

        var error = Assert.Throws<SigilCredentialException>(() => ApiKeyCredential.Parse(Folder(files)));

        Assert.Contains("key-id", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key.Split('_', 3)[2], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_api_key_names_the_missing_file() =>
        Assert.Contains("/mounted/key/api-key", Assert.Throws<SigilCredentialException>(() => ApiKeyCredential.Parse(Folder(new() { ["key-id"] = "ab" }))).Message,
            StringComparison.Ordinal);
}
