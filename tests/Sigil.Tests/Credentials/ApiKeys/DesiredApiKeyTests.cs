using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;

namespace Sigil.Tests.Credentials.ApiKeys;

public sealed class DesiredApiKeyTests
{
    private static readonly ServiceIdentity Payments = new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" },
        Spec = new ServiceIdentitySpec(),
    };

    [Fact]
    public void A_key_defaults_to_Bearer_in_a_Secret_named_after_the_identity_and_the_key()
    {
        var (key, invalid) = DesiredApiKey.FromSpec(Payments, new ApiKeySpec { Name = "orders", Audience = "orders", Rotation = new RotationSpec { Every = "720h" } });

        Assert.Null(invalid);
        Assert.Equal("Bearer", key!.Type);
        Assert.Equal("payments-orders-apikey", key.SecretName);
        Assert.Equal(TimeSpan.FromHours(720), key.Schedule.Every);
        Assert.Equal(TimeSpan.FromHours(24), key.Schedule.Grace);
    }

    [Fact]
    public void A_bad_rotation_rule_is_a_message_naming_the_key_and_no_desired_key()
    {
        var (key, invalid) = DesiredApiKey.FromSpec(Payments, new ApiKeySpec
        {
            Name = "orders", Audience = "orders", Type = "HMACSHA256", SecretName = "mine",
            Rotation = new RotationSpec { Every = "720h", Schedule = "0 3 * * 0" },
        });

        Assert.Null(key);
        Assert.Equal("spec.apiKeys[orders].rotation needs exactly one of every and schedule", invalid);
    }
}
