using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Sigil.Tests.Support;

/// <summary>What earlier Sigil versions wrote, for tests of Secrets that are still in clusters.</summary>
internal static class EarlierSigil
{
    /// <summary>The same Ed25519 key as PKCS#8 v2 (public key attached), as Sigil wrote it before issue 8, with
    /// BouncyCastle's PrivateKeyInfoFactory.</summary>
    public static string Ed25519KeyAsPkcs8V2(string privateKeyPem)
    {
        PemEncoding.TryFind(privateKeyPem, out var fields);
        var key = (Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(Convert.FromBase64String(privateKeyPem[fields.Base64Data]));
        return PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded());
    }
}
