using System.Security.Cryptography;
using System.Text;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// The check both client-secret methods share: the client whose SPIFFE ID is the client_id, and a secret it may use now.
/// An unknown client, a client without a secret and a wrong secret get the same answer, after the same work (one
/// SHA-256 and a fixed-time compare), so neither the body nor the timing tells an attacker which client ids exist.
/// </summary>
internal static class ClientSecrets
{
    public const string Refused = "client authentication failed";
    private static readonly byte[] Nothing = new byte[32];

    public static ClientAuthResult Verify(TokenRequestContext request, string clientId, string secret, string method)
    {
        TokenClient? accepted = null;
        var checkedAny = false;
        foreach (var client in request.Clients.WithClientId(clientId))
        {
            if (client.Secret is { } check)
            {
                checkedAny = true;
                if (check.Accepts(secret, request.Now) && accepted is null)
                {
                    accepted = client;
                }
            }
        }
        if (!checkedAny)
        {
            // The work a real check would have done, for timing's sake.
            CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), Nothing);
        }
        return accepted is not null
            ? ClientAuthResult.Success(accepted, method)
            : ClientAuthResult.Failure(method, TokenError.InvalidClient(Refused));
    }
}
