using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Sigil.Client;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>
/// An <see cref="HttpMessageHandler"/> for <see cref="SigilJwtOptions.BackchannelHttpHandler"/> that trusts Sigil's
/// issuer by the trust bundle (the issuer serves an SVID of Sigil's CA, which no system store holds). The bundle is
/// read again for each new connection, and connections are renewed every few minutes, so a CA rotation needs nothing.
/// </summary>
public static class SigilIssuerBackchannel
{
    /// <summary>Trusts the CAs of this service's own mounted SVID folder (<c>ca.crt</c>), as it is at each connection.</summary>
    /// <param name="svid">This service's SVID folder.</param>
    /// <param name="issuer">
    /// Which SPIFFE IDs the issuer's certificate may carry, e.g. <c>Exact(spiffe://&lt;td&gt;/ns/sigil-system/sa/sigil)</c>.
    /// Without it any certificate of the bundle that names the host passes, and any identity in the operator's namespace
    /// can be given the issuer's Service name as a DNS name.
    /// </param>
    public static HttpMessageHandler Create(X509SvidSource svid, SpiffeIdAuthorizer? issuer = null)
    {
        ArgumentNullException.ThrowIfNull(svid);
        return Create(() => svid.Current.Bundle, issuer);
    }

    /// <summary>Trusts the CAs <paramref name="currentBundle"/> returns at each new connection.</summary>
    /// <param name="currentBundle">The bundle of the moment.</param>
    /// <param name="issuer">Which SPIFFE IDs the issuer's certificate may carry (checked against the bundle's trust domain); null: any, by host name alone.</param>
    public static HttpMessageHandler Create(Func<TrustBundle> currentBundle, SpiffeIdAuthorizer? issuer = null)
    {
        ArgumentNullException.ThrowIfNull(currentBundle);
        return new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // Unset, SslStream would build the server's chain with downloads (AIA) before the callback below.
                CertificateChainPolicy = SigilKestrelExtensions.NoDownloads(),
                RemoteCertificateValidationCallback = (_, certificate, sent, errors) =>
                {
                    // The host name is checked as usual; only the chain is checked against the bundle instead of the system store.
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.DisableCertificateDownloads = true;
                    chain.ChainPolicy.CustomTrustStore.AddRange(currentBundle().Authorities);
                    // What the server sent after its own certificate (SslStream's chain policy, set above, trusts nothing).
                    foreach (var element in sent?.ChainPolicy.ExtraStore ?? [])
                    {
                        chain.ChainPolicy.ExtraStore.Add(element);
                    }
                    using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    if (issuer is null)
                    {
                        return chain.Build(leaf);
                    }
                    var bundle = currentBundle();
                    return X509SvidValidator.Validate(leaf, chain.ChainPolicy.ExtraStore, bundle, issuer).Succeeded;
                },
            },
        };
    }
}
