using System.Security.Cryptography.X509Certificates;
using Sigil.Authority;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// Everything client authentication may look at, gathered before any method runs: the form, the Authorization header,
/// the TLS client certificate (when the client sent one), the clients as the informer caches hold them, the trust
/// snapshot (for chains and keys) and the time. Methods read it and decide; none of them performs I/O.
/// </summary>
/// <param name="IssuerUrl">The effective issuer URL (an RFC 7523 assertion's aud may be this).</param>
/// <param name="ClientCertificateChain">The other certificates the client sent in the handshake after its own (untrusted: only
/// helpers for building its chain to the bundle, e.g. a platform intermediate); empty when it sent none.</param>
/// <param name="TokenEndpointUrl">The token endpoint's URL (or this, the other aud an assertion may carry).</param>
internal sealed record TokenRequestContext(
    TokenForm Form,
    string? Authorization,
    X509Certificate2? ClientCertificate,
    ITokenClients Clients,
    TrustSnapshot Trust,
    string IssuerUrl,
    string TokenEndpointUrl,
    DateTimeOffset Now,
    IReadOnlyList<X509Certificate2>? ClientCertificateChain = null);
