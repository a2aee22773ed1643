using System.Text;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Identity;

namespace Sigil.Tests.Credentials.ApiKeys;

/// <summary>The API-key Secrets Sigil writes, rendered without a cluster: holding only what each side needs.</summary>
public sealed class ApiKeyRenderingTests
{
    private static readonly ServiceIdentity Payments = new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop", Uid = "uid-payments" },
        Spec = new ServiceIdentitySpec(),
    };

    private static readonly SpiffeId PaymentsId = new("cluster.local", "shop", "payments");

    private static readonly ApiKeyMaterial Current = ApiKeyMaterial.New();
    private static readonly ApiKeyMaterial Next = ApiKeyMaterial.New();

    private static V1Secret Caller(string type, ApiKeyMaterial? next = null, string? actedOn = null) => ApiKeyRendering.CallerKeySecret(Payments, PaymentsId,
        "payments-orders-apikey", new ApiKeySpec { Name = "orders", Audience = "orders" }, type, Current, next, DateTimeOffset.Parse("2026-11-27T10:00:00.7Z",
            System.Globalization.CultureInfo.InvariantCulture), actedOn, null);

    private static string Text(V1Secret secret, string key) => Encoding.UTF8.GetString(secret.Data[key]);

    [Fact]
    public void A_Bearer_caller_Secret_presents_only_the_current_key_and_no_HMAC_secret()
    {
        var secret = Caller("Bearer", next: Next);

        Assert.Equal(Current.Presented, Text(secret, "api-key"));
        Assert.Equal(Current.KeyId, Text(secret, "key-id"));
        Assert.Equal(Next.Presented, Text(secret, "next-api-key"));
        Assert.False(secret.Data.ContainsKey("hmac-secret"));
        Assert.Equal("2026-11-27T10:00:00Z", secret.Metadata.Annotations[ApiKeyRendering.RotatedAtAnnotation]);
        Assert.False(secret.Metadata.Annotations.ContainsKey(Labels.RotationRequestAnnotation));
    }

    [Fact]
    public void An_HMAC_caller_Secret_holds_the_signing_secret_and_the_rotate_value_acted_on()
    {
        var secret = Caller("HMACSHA256", actedOn: "demo");

        Assert.Equal(Current.Secret, Text(secret, "hmac-secret"));
        Assert.False(secret.Data.ContainsKey("next-api-key"));
        Assert.Equal("demo", secret.Metadata.Annotations[Labels.RotationRequestAnnotation]);
    }

    [Fact]
    public void A_verifier_Secret_holds_keys_json_without_the_plaintext_Bearer_key()
    {
        var state = new CallerKeyState(PaymentsId.ToString(), "orders", "Bearer", Current, DateTimeOffset.UnixEpoch, null);

        var secret = ApiKeyRendering.VerifierSecret(Payments, [VerifierPlan.Entry(state, Current)]);

        Assert.Equal("payments-verifiers", secret.Metadata.Name);
        Assert.Contains(Current.PresentedSha256, Text(secret, "keys.json"), StringComparison.Ordinal);
        Assert.DoesNotContain(Current.Secret, Text(secret, "keys.json"), StringComparison.Ordinal);
    }
}
