namespace Sigil.Identity;

/// <summary>The private-key types an SVID can have (spec.x509.keyAlgorithm).</summary>
public enum KeyAlgorithm
{
    ECDSAP256,
    ECDSAP384,
    Ed25519,
    RSA2048,
    RSA3072,
    RSA4096,
}

internal static class KeyAlgorithms
{
    public const KeyAlgorithm Default = KeyAlgorithm.ECDSAP256;

    public static bool TryParse(string? text, out KeyAlgorithm algorithm)
    {
        if (string.IsNullOrEmpty(text))
        {
            algorithm = Default;
            return true;
        }
        return Enum.TryParse(text, ignoreCase: false, out algorithm) && Enum.IsDefined(algorithm);
    }

    public static bool IsRsa(this KeyAlgorithm algorithm) => algorithm is KeyAlgorithm.RSA2048 or KeyAlgorithm.RSA3072 or KeyAlgorithm.RSA4096;
}
