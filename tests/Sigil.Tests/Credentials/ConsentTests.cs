using k8s.Models;
using Sigil.Api;
using Sigil.Credentials;
using Sigil.Identity;

namespace Sigil.Tests.Credentials;

public sealed class ConsentTests
{
    private static readonly ServiceIdentity Payments = new() { Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" } };
    private static readonly SpiffeId PaymentsId = new("cluster.local", "shop", "payments");

    public static TheoryData<string, string, string, string> NoReceiverYet => new()
    {
        { "a receiver named in this namespace that does not exist yet waits for it", "orders", Reasons.Pending, "no ServiceIdentity \"orders\" in namespace shop yet" },
        { "a SPIFFE ID of this trust domain that no identity has yet waits for it", "spiffe://cluster.local/ns/bank/sa/ledger", Reasons.Pending, "no ServiceIdentity has SPIFFE ID spiffe://cluster.local/ns/bank/sa/ledger yet" },
        { "a SPIFFE ID of another trust domain never resolves itself, so it is not Pending", "spiffe://example.org/ns/bank/sa/ledger", Reasons.NotAccepted, "outside trust domain cluster.local" },
        { "a trust domain that merely starts with ours is another trust domain", "spiffe://cluster.local.evil/ns/bank/sa/ledger", Reasons.NotAccepted, "outside trust domain cluster.local" },
    };

    [Theory]
    [MemberData(nameof(NoReceiverYet))]
    public void A_key_whose_audience_has_no_identity(string because, string audience, string reason, string message)
    {
        var verdict = Consent.Unaccepted(new ApiKeySpec { Name = "k", Audience = audience }, Payments, PaymentsId, [], "cluster.local");

        Assert.False(verdict.Ready, because);
        Assert.Equal(reason, verdict.Reason);
        Assert.Contains(message, verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_receiver_that_exists_and_does_not_list_the_caller_is_NotAccepted_with_the_entry_to_add()
    {
        var orders = new ServiceIdentity { Metadata = new V1ObjectMeta { Name = "orders", NamespaceProperty = "shop" } };

        var verdict = Consent.Unaccepted(new ApiKeySpec { Name = "k", Audience = "orders" }, Payments, PaymentsId, [orders], "cluster.local");

        Assert.Equal(Reasons.NotAccepted, verdict.Reason);
        Assert.Equal("apiKeys[k]: shop/orders does not accept this identity: add {serviceIdentity: payments} to its spec.acceptsFrom", verdict.Message);
    }
}
