namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// The SPIFFE ID syntax (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md section 2), checked strictly:
/// an identity a client presents is compared byte for byte with the ones Sigil derives, so anything a lenient URI parser
/// would normalise (case, percent-encoding, dot segments, a port, a query) is refused rather than interpreted.
/// </summary>
internal static class SpiffeIds
{
    private const string Scheme = "spiffe://";
    private const int MaxLength = 2048;
    private const int MaxTrustDomainLength = 255;

    public static bool TryGetTrustDomain(string id, out string trustDomain)
    {
        trustDomain = "";
        if (id.Length > MaxLength || !id.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = id.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var domain = slash < 0 ? rest : rest[..slash];
        if (domain.Length is 0 or > MaxTrustDomainLength || !All(domain, IsTrustDomainChar))
        {
            return false;
        }
        if (slash >= 0)
        {
            foreach (var range in rest[slash..][1..].Split('/'))
            {
                var segment = rest[slash..][1..][range];
                if (segment.Length == 0 || segment is "." or ".." || !All(segment, IsPathChar))
                {
                    return false;
                }
            }
        }
        trustDomain = domain.ToString();
        return true;
    }

    private static bool All(ReadOnlySpan<char> text, Func<char, bool> allowed)
    {
        foreach (var c in text)
        {
            if (!allowed(c))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsTrustDomainChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_';

    private static bool IsPathChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_';
}
