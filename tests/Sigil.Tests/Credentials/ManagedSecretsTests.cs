using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.X509;
using Sigil.Identity;

namespace Sigil.Tests.Credentials;

/// <summary>Every kind's Secret, rendered without a cluster, shares the managed skeleton: labelled as Sigil's and owned by its identity.</summary>
public sealed class ManagedSecretsTests
{
    private static readonly ServiceIdentity Payments = new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop", Uid = "uid-payments" },
        Spec = new ServiceIdentitySpec(),
    };

    private static readonly SpiffeId PaymentsId = new("cluster.local", "shop", "payments");

    private static readonly ApiKeyMaterial Current = ApiKeyMaterial.New();

    private static V1Secret Caller(string type) => ApiKeyRendering.CallerKeySecret(Payments, PaymentsId,
        "payments-orders-apikey", new ApiKeySpec { Name = "orders", Audience = "orders" }, type, Current, null, DateTimeOffset.Parse("2026-11-27T10:00:00.7Z",
            System.Globalization.CultureInfo.InvariantCulture), null, null);

    public static TheoryData<string, string> Kinds => new()
    {
        { "svid", "kubernetes.io/tls" },
        { "caller", "Opaque" },
        { "verifier", "Opaque" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_Secret_is_labelled_as_Sigils_owned_by_its_identity_and_in_its_namespace(string kind, string type)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var secret = kind switch
        {
            "svid" => X509Rendering.SvidSecret(Payments, new DesiredCertificate("payments-svid", TimeSpan.FromHours(1), TimeSpan.FromMinutes(20), KeyAlgorithm.ECDSAP256, []),
                PaymentsId, new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(PaymentsId, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1))), null),
            "caller" => Caller("Bearer"),
            _ => ApiKeyRendering.VerifierSecret(Payments, []),
        };

        Assert.Equal(type, secret.Type);
        Assert.Equal("shop", secret.Metadata.NamespaceProperty);
        Assert.Equal("sigil", secret.Metadata.Labels[Labels.ManagedBy]);
        Assert.Equal("payments", secret.Metadata.Labels[Labels.Identity]);
        Assert.True(ManagedSecrets.IsOwnedBy(secret, Payments));
        Assert.False(ManagedSecrets.IsOwnedBy(secret, new ServiceIdentity { Metadata = new V1ObjectMeta { Name = "payments", Uid = "another-uid" } }));
    }
}
