using System.Globalization;
using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.OAuth2;
using Sigil.Identity;

namespace Sigil.Tests.Credentials.OAuth2;

/// <summary>The &lt;name&gt;-oauth2 Secret as rendered: what a client library reads, what the token endpoint reads, and nothing more.</summary>
public sealed class ClientSecretRenderingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture);
    private static readonly ServiceIdentity Payments = new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop", Uid = "uid-1" },
        Spec = new ServiceIdentitySpec
        {
            OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h" } } },
        },
    };
    private static readonly DesiredClientSecret Desired = DesiredClientSecret.FromSpec(Payments).ClientSecret!;
    private static readonly SpiffeId ClientId = new("cluster.local", "shop", "payments");
    private static readonly ApiKeyMaterial A = new("aaaaaaaaaa", "secret-a-0123456789012345678901234567890123");
    private static readonly ApiKeyMaterial B = new("bbbbbbbbbb", "secret-b-0123456789012345678901234567890123");

    private static V1Secret Render(ClientSecretState state) =>
        ClientSecretRendering.Secret(Payments, Desired, ClientId, ClientSecretRendering.TokenEndpoint("https://127.0.0.1:8443/"), state);

    private static string Text(V1Secret secret, string key) => Encoding.UTF8.GetString(secret.Data[key]);

    [Fact]
    public void A_current_secret_renders_client_id_client_secret_and_token_endpoint_and_its_hash_in_the_annotation()
    {
        var secret = Render(new ClientSecretState(A, null, T0, "r1", null, null, [ClientSecretVerifierPlan.Entry(A)]));

        Assert.Equal("payments-oauth2", secret.Metadata.Name);
        Assert.Equal("shop", secret.Metadata.NamespaceProperty);
        Assert.Equal("Opaque", secret.Type);
        Assert.Equal(["client-id", "client-secret", "token-endpoint"], secret.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", Text(secret, "client-id"));
        Assert.Equal(A.Presented, Text(secret, "client-secret"));
        Assert.Equal("https://127.0.0.1:8443/oauth2/token", Text(secret, "token-endpoint"));
        Assert.True(ClientSecretVerifiers.Accepts(ClientSecretVerifiers.From(secret.Metadata.Annotations), Text(secret, "client-secret"), T0));
        Assert.Equal("2026-11-30T12:00:00Z", secret.Metadata.Annotations["sigil.dev/rotated-at"]);
        Assert.Equal("r1", secret.Metadata.Annotations["sigil.dev/rotation-request"]);
        Assert.False(secret.Metadata.Annotations.ContainsKey("sigil.dev/next-key-staged-at"));
        Assert.Equal("sigil", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("uid-1", Assert.Single(secret.Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public void A_staged_next_secret_is_kept_beside_the_current_one_which_is_still_the_one_presented()
    {
        var secret = Render(new ClientSecretState(A, B, T0, null, "r2", T0 + TimeSpan.FromMinutes(1),
            [ClientSecretVerifierPlan.Entry(A), ClientSecretVerifierPlan.Entry(B)]));

        Assert.Equal(A.Presented, Text(secret, "client-secret"));
        Assert.Equal(B.Presented, Text(secret, "next-client-secret"));
        Assert.Equal("2026-11-30T12:01:00Z", secret.Metadata.Annotations["sigil.dev/next-key-staged-at"]);
        Assert.Equal("r2", secret.Metadata.Annotations["sigil.dev/next-rotation-request"]);
        Assert.True(ClientSecretVerifiers.Accepts(ClientSecretVerifiers.From(secret.Metadata.Annotations), B.Presented, T0));
    }

    [Fact]
    public void What_a_Secret_records_reads_back_into_the_same_state_so_a_restarted_operator_continues_the_rotation()
    {
        var state = new ClientSecretState(A, B, T0, "r1", "r2", T0 + TimeSpan.FromMinutes(1),
            [ClientSecretVerifierPlan.Entry(A), ClientSecretVerifierPlan.Entry(B)]);

        var read = ClientSecretRendering.Read(Render(state), T0 + TimeSpan.FromDays(3));

        Assert.Equal(state.Current, read.Current);
        Assert.Equal(state.Next, read.Next);
        Assert.Equal(state.RotatedAt, read.RotatedAt);
        Assert.Equal(state.ActedOn, read.ActedOn);
        Assert.Equal(state.NextRequest, read.NextRequest);
        Assert.Equal(state.StagedAt, read.StagedAt);
        Assert.Equal(ClientSecretVerifiers.Format(state.Verifiers), ClientSecretVerifiers.Format(read.Verifiers));
    }

    [Fact]
    public void Rendering_the_same_state_twice_is_the_same_Secret_and_any_change_is_not()
    {
        var state = new ClientSecretState(A, null, T0, null, null, null, [ClientSecretVerifierPlan.Entry(A)]);

        Assert.True(ClientSecretRendering.Same(Render(state), Render(state)));
        Assert.False(ClientSecretRendering.Same(Render(state), Render(state with { Current = B })));
        Assert.False(ClientSecretRendering.Same(Render(state), Render(state with { Verifiers = [] })));
        Assert.False(ClientSecretRendering.Same(Render(state),
            ClientSecretRendering.Secret(Payments, Desired, ClientId, "https://sigil.other.svc:8443/oauth2/token", state)));
    }

    [Fact]
    public void Status_shows_the_client_id_and_key_id_never_the_secret()
    {
        var status = ClientSecretRendering.Status(ClientId, Desired, A, T0 + TimeSpan.FromDays(30));
        var json = k8s.KubernetesJson.Serialize(status);

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", status.ClientId);
        Assert.Equal("aaaaaaaaaa", status.CurrentKeyId);
        Assert.Equal("payments-oauth2", status.SecretName);
        Assert.DoesNotContain(A.Secret, json, StringComparison.Ordinal);
        Assert.DoesNotContain(A.Secret, A.ToString(), StringComparison.Ordinal);
    }
}
