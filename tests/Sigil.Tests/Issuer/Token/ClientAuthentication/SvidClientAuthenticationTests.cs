using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Identity;
using Sigil.Issuer.Token;
using Sigil.Issuer.Token.ClientAuthentication;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestAssertions;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestSvids;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>
/// tls_client_auth and private_key_jwt through the token endpoint's seam (every method, chosen as the endpoint chooses):
/// the RFC 8705 and RFC 7523 error cases, each a sentence.
/// </summary>
public sealed class SvidClientAuthenticationTests : IDisposable
{
    private readonly TestSvids _svids = new();
    private readonly JtiReplayCache _replays = new();

    private static ServiceIdentity Identity(string ns, string name, bool oauth2) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString() },
        Spec = new ServiceIdentitySpec { X509 = new X509Spec(), OAuth2 = oauth2 ? new OAuth2Spec() : null },
    };

    private sealed class Clients(params ServiceIdentity[] identities) : ITokenClients
    {
        public string TrustDomain => TestSvids.TrustDomain;

        public IReadOnlyList<TokenClient> WithClientId(string clientId) =>
            [.. identities.Where(i => Consent.IdOf(i, TrustDomain).ToString() == clientId).Select(i => new TokenClient(i, clientId, null))];

        public IReadOnlyList<ServiceIdentity> Receivers(string target, ServiceIdentity caller) => [];
    }

    // payments opted into OAuth; ledger (the victim) too; batch has an SVID but no spec.oauth2.
    private static readonly Clients Cache = new(Identity("shop", "payments", oauth2: true), Identity("bank", "ledger", oauth2: true), Identity("ops", "batch", oauth2: false));

    private TokenRequestContext Request(TokenForm form, X509Certificate2? certificate = null, IReadOnlyList<X509Certificate2>? chain = null,
        DateTimeOffset? now = null, string? authorization = null) =>
        new(form, authorization, certificate, Cache, Issuer.StandaloneIssuer.Snapshot(_svids.Ours, null, TimeSpan.FromMinutes(1)),
            IssuerUrl, TestAssertions.TokenEndpoint, now ?? T0, chain);

    private ClientAuthResult Authenticate(TokenRequestContext request) => ClientAuthenticators.Default(_replays).Authenticate(request);

    private static TokenForm Grant(params (string, string)[] more) => TokenForm.Of([("grant_type", "client_credentials"), ("audience", "orders"), .. more]);

    private static TokenForm AssertionForm(string assertion, string type = PrivateKeyJwt.JwtBearerAssertionType) =>
        Grant(("client_assertion_type", type), ("client_assertion", assertion));

    private static void AssertInvalidClient(ClientAuthResult result, string method, string reason)
    {
        Assert.False(result.Authenticated);
        Assert.Equal(method, result.Method);
        Assert.Equal(TokenError.InvalidClientCode, result.Error.Error);
        Assert.Equal(401, result.Error.Status);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Tls_client_auth_with_a_Sigil_SVID_authenticates_and_binds_the_token_to_the_certificate()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);

        var result = Authenticate(Request(Grant(), svid.Leaf));

        Assert.True(result.Authenticated);
        Assert.Equal(TlsClientAuth.Name, result.Method);
        Assert.Equal(Payments.ToString(), result.Client.ClientId);
        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(svid.Leaf.RawData)), result.CertificateThumbprint);
    }

    [Fact]
    public void Tls_client_auth_with_a_client_id_equal_to_the_SVID_authenticates()
    {
        var result = Authenticate(Request(Grant(("client_id", Payments.ToString())), _svids.Issue(_svids.Ours, Payments).Leaf));

        Assert.True(result.Authenticated);
    }

    [Fact]
    public void Tls_client_auth_under_a_platform_intermediate_authenticates_with_the_intermediate_the_handshake_sent()
    {
        var (intermediate, root) = _svids.PlatformIntermediate();
        var svid = _svids.Issue(intermediate, Payments);
        var request = Request(Grant(), svid.Leaf, svid.Intermediates) with
        {
            Trust = new Sigil.Authority.TrustSnapshot(new Sigil.Authority.AuthorityState(intermediate, null, null, null, false, [], null, 1), _svids.Clock, TimeSpan.FromMinutes(1)),
        };

        Assert.True(Authenticate(request).Authenticated);
        Assert.False(Authenticate(request with { ClientCertificateChain = [] }).Authenticated);
        Assert.Single(request.Trust.Trusted, c => c.RawData.AsSpan().SequenceEqual(root.RawData));
    }

    [Fact]
    public void An_SVID_from_another_trust_domain_is_invalid_client()
    {
        var stranger = _svids.Issue(_svids.OtherDomain, new SpiffeId("other.example", "shop", "payments"));

        AssertInvalidClient(Authenticate(Request(Grant(), stranger.Leaf)), TlsClientAuth.Name, SvidRejections.OtherTrustDomain);
    }

    [Fact]
    public void An_expired_SVID_is_invalid_client()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);

        AssertInvalidClient(Authenticate(Request(Grant(), svid.Leaf, now: svid.Issued.Facts.NotAfter + TimeSpan.FromSeconds(1))), TlsClientAuth.Name, SvidRejections.Expired);
    }

    [Fact]
    public void An_SVID_of_a_CA_that_left_the_bundle_is_invalid_client()
    {
        AssertInvalidClient(Authenticate(Request(Grant(), _svids.Issue(_svids.Retiring, Payments).Leaf)), TlsClientAuth.Name, SvidRejections.UntrustedChain);
    }

    [Fact]
    public void A_self_signed_certificate_naming_a_victim_is_invalid_client()
    {
        AssertInvalidClient(Authenticate(Request(Grant(), _svids.Custom(null, [Victim.ToString()]))), TlsClientAuth.Name, SvidRejections.UntrustedChain);
    }

    [Fact]
    public void A_valid_SVID_with_a_client_id_naming_another_client_is_invalid_client()
    {
        var result = Authenticate(Request(Grant(("client_id", Victim.ToString())), _svids.Issue(_svids.Ours, Payments).Leaf));

        AssertInvalidClient(result, TlsClientAuth.Name, "ClientIdIsNotTheCertificate");
    }

    [Fact]
    public void A_valid_SVID_of_an_identity_without_spec_oauth2_is_invalid_client()
    {
        var batch = _svids.Issue(_svids.Ours, new SpiffeId(TrustDomain, "ops", "batch"));

        AssertInvalidClient(Authenticate(Request(Grant(), batch.Leaf)), TlsClientAuth.Name, "NotAnOAuthClient");
    }

    [Fact]
    public void A_valid_SVID_of_no_identity_at_all_is_invalid_client()
    {
        var ghost = _svids.Issue(_svids.Ours, new SpiffeId(TrustDomain, "ghost", "nobody"));

        AssertInvalidClient(Authenticate(Request(Grant(), ghost.Leaf)), TlsClientAuth.Name, "NotAnOAuthClient");
    }

    [Fact]
    public void No_client_certificate_and_no_credentials_is_invalid_client()
    {
        var result = Authenticate(Request(Grant()));

        Assert.False(result.Authenticated);
        Assert.Equal(TokenError.InvalidClientCode, result.Error.Error);
        Assert.Equal(401, result.Error.Status);
    }

    [Fact]
    public void A_client_certificate_beside_a_client_assertion_leaves_the_assertion_to_decide()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);
        var assertion = Sign(svid, Header(svid), Claims(svid.SpiffeId, T0));

        var result = Authenticate(Request(AssertionForm(assertion), svid.Leaf));

        Assert.True(result.Authenticated);
        Assert.Equal(PrivateKeyJwt.Name, result.Method);
        Assert.Null(result.CertificateThumbprint);
    }

    [Fact]
    public void Private_key_jwt_signed_with_the_SVID_key_authenticates_without_binding_the_token()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);

        var result = Authenticate(Request(AssertionForm(Sign(svid, Header(svid), Claims(svid.SpiffeId, T0)))));

        Assert.True(result.Authenticated);
        Assert.Equal(PrivateKeyJwt.Name, result.Method);
        Assert.Equal(Payments.ToString(), result.Client.ClientId);
        Assert.Null(result.CertificateThumbprint);
    }

    [Fact]
    public void An_assertion_replayed_within_its_lifetime_is_invalid_client()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);
        var assertion = Sign(svid, Header(svid), Claims(svid.SpiffeId, T0));
        Assert.True(Authenticate(Request(AssertionForm(assertion))).Authenticated);

        var replay = Authenticate(Request(AssertionForm(assertion), now: T0 + TimeSpan.FromSeconds(30)));

        AssertInvalidClient(replay, PrivateKeyJwt.Name, AssertionRejections.Replayed);
        Assert.NotNull(replay.Jti);
        Assert.Equal(Payments.ToString(), replay.SpiffeId);
    }

    [Fact]
    public void A_forged_assertion_carrying_a_real_jti_does_not_burn_it()
    {
        var victim = _svids.Issue(_svids.Ours, Victim);
        var attacker = _svids.Issue(_svids.Ours, Payments);
        var claims = Claims(victim.SpiffeId, T0, jti: "victims-next-jti");
        var forged = Compact(Header(victim), claims, input => SignWith(attacker, "ES256", input));

        AssertInvalidClient(Authenticate(Request(AssertionForm(forged))), PrivateKeyJwt.Name, AssertionRejections.BadSignature);
        Assert.True(Authenticate(Request(AssertionForm(Sign(victim, Header(victim), claims)))).Authenticated);
    }

    [Fact]
    public void An_assertion_for_another_audience_is_invalid_client()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);
        var claims = Claims(svid.SpiffeId, T0);
        claims["aud"] = "https://login.example.com";

        AssertInvalidClient(Authenticate(Request(AssertionForm(Sign(svid, Header(svid), claims)))), PrivateKeyJwt.Name, AssertionRejections.WrongAudience);
    }

    [Fact]
    public void An_assertion_carrying_an_SVID_from_another_trust_domain_is_invalid_client()
    {
        var stranger = _svids.Issue(_svids.OtherDomain, new SpiffeId("other.example", "shop", "payments"));

        AssertInvalidClient(Authenticate(Request(AssertionForm(Sign(stranger, Header(stranger), Claims(stranger.SpiffeId, T0))))),
            PrivateKeyJwt.Name, AssertionRejections.Svid(SvidRejections.OtherTrustDomain));
    }

    [Fact]
    public void An_assertion_carrying_an_expired_SVID_is_invalid_client()
    {
        var svid = _svids.Issue(_svids.Ours, Payments, ttl: TimeSpan.FromMinutes(10), at: T0 - TimeSpan.FromHours(1));

        AssertInvalidClient(Authenticate(Request(AssertionForm(Sign(svid, Header(svid), Claims(svid.SpiffeId, T0))))),
            PrivateKeyJwt.Name, AssertionRejections.Svid(SvidRejections.Expired));
    }

    [Fact]
    public void An_assertion_from_an_identity_without_spec_oauth2_is_invalid_client_and_does_not_use_up_its_jti()
    {
        var batch = _svids.Issue(_svids.Ours, new SpiffeId(TrustDomain, "ops", "batch"));

        AssertInvalidClient(Authenticate(Request(AssertionForm(Sign(batch, Header(batch), Claims(batch.SpiffeId, T0))))), PrivateKeyJwt.Name, "NotAnOAuthClient");
        Assert.Equal(0, _replays.Count);
    }

    [Fact]
    public void A_client_assertion_of_another_type_is_invalid_request()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);

        var result = Authenticate(Request(AssertionForm(Sign(svid, Header(svid), Claims(svid.SpiffeId, T0)), type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")));

        Assert.False(result.Authenticated);
        Assert.Equal(TokenError.InvalidRequestCode, result.Error.Error);
    }

    [Fact]
    public void A_client_assertion_beside_a_client_secret_is_two_methods_and_invalid_request()
    {
        var svid = _svids.Issue(_svids.Ours, Payments);
        var form = Grant(("client_assertion_type", PrivateKeyJwt.JwtBearerAssertionType), ("client_assertion", Sign(svid, Header(svid), Claims(svid.SpiffeId, T0))),
            ("client_id", Payments.ToString()), ("client_secret", "s"));

        var result = Authenticate(Request(form));

        Assert.Equal(TokenError.InvalidRequestCode, result.Error?.Error);
    }

    [Fact]
    public void The_refusal_says_nothing_of_the_reason_to_the_client()
    {
        var batch = _svids.Issue(_svids.Ours, new SpiffeId(TrustDomain, "ops", "batch"));
        var expired = _svids.Issue(_svids.Ours, Payments, ttl: TimeSpan.FromMinutes(10), at: T0 - TimeSpan.FromHours(1));

        var descriptions = new[] { Authenticate(Request(Grant(), batch.Leaf)), Authenticate(Request(Grant(), expired.Leaf)) }.Select(r => r.Error!.Description).Distinct();

        Assert.Equal([SvidClients.Refused], descriptions);
    }

    public void Dispose() => _svids.Dispose();
}
