using k8s.Models;
using Sigil.Api;
using Sigil.Cli.Day2;

namespace Sigil.Tests.Cli.Day2;

/// <summary>What `sigil status` makes of an identity's status, and how the table reads (pure).</summary>
public sealed class StatusRowsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static ServiceIdentity Identity(string name, ServiceIdentityStatus? status, long generation = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "shop", Generation = generation },
        Status = status,
    };

    private static ServiceIdentityStatus Ready(string status, string reason, long observed = 1) => new()
    {
        SpiffeId = "spiffe://cluster.local/ns/shop/sa/x",
        ObservedGeneration = observed,
        Conditions = [new Condition { Type = "Ready", Status = status, Reason = reason, Message = $"{reason} message" }],
    };

    public static TheoryData<string, ServiceIdentity, bool, string?, bool> Readiness => new()
    {
        { "Ready=True is ready", Identity("a", Ready("True", "Issued")), true, "Issued", true },
        { "Ready=False is not, with its reason", Identity("a", Ready("False", "NotAllowed")), false, "NotAllowed", true },
        { "no status yet is not ready, reason NoStatus", Identity("a", null), false, "NoStatus", false },
        { "a status with no Ready condition is not ready", Identity("a", new ServiceIdentityStatus { ObservedGeneration = 1 }), false, null, true },
        { "Ready=Unknown is not ready", Identity("a", Ready("Unknown", "Pending")), false, "Pending", true },
        { "a status written for an older spec is flagged not up to date", Identity("a", Ready("True", "Issued", observed: 1), generation: 2), true, "Issued", false },
    };

    [Theory]
    [MemberData(nameof(Readiness))]
    public void Readiness_comes_from_the_Ready_condition_alone(string because, ServiceIdentity identity, bool ready, string? reason, bool upToDate)
    {
        var row = StatusRows.Of(identity);

        Assert.True(row.Ready == ready && row.Reason == reason && row.UpToDate == upToDate, $"{because}: got ready={row.Ready} reason={row.Reason} upToDate={row.UpToDate}");
    }

    [Fact]
    public void Every_credential_is_a_row_with_what_tells_its_version_apart_its_expiry_and_next_rotation()
    {
        var status = Ready("True", "Issued") with
        {
            X509 = new X509Status { SecretName = "x-svid", SerialNumber = "0abc", NotAfter = Now.AddHours(24), RenewalTime = Now.AddHours(16) },
            ApiKeys = [new ApiKeyStatus { Name = "orders", SecretName = "x-orders-apikey", CurrentKeyId = "k1", NextRotationTime = Now.AddDays(30) }],
            Jwt = new JwtStatus { SecretName = "x-jwt", KeyId = "kid1", NextRotationTime = Now.AddMinutes(30),
                Audiences = [new JwtAudienceStatus { Name = "orders", ExpiresAt = Now.AddHours(1) }, new JwtAudienceStatus { Name = "vault", ExpiresAt = Now.AddHours(1) }] },
            OAuth2 = new OAuth2Status { SecretName = "x-oauth2", CurrentKeyId = "c1", NextRotationTime = Now.AddDays(30) },
        };

        var row = StatusRows.Of(Identity("x", status));

        Assert.Equal<CredentialRow>(
        [
            new("x509", null, "x-svid", "0abc", Now.AddHours(24), Now.AddHours(16)),
            new("apiKey", "orders", "x-orders-apikey", "k1", null, Now.AddDays(30)),
            new("jwt", "orders", "x-jwt", "kid1", Now.AddHours(1), Now.AddMinutes(30)),
            new("jwt", "vault", "x-jwt", "kid1", Now.AddHours(1), Now.AddMinutes(30)),
            new("oauth2", null, "x-oauth2", "c1", null, Now.AddDays(30)),
        ], row.Credentials);
    }

    [Fact]
    public void An_OAuth2_client_that_authenticates_with_its_SVID_only_has_no_client_secret_row()
    {
        var row = StatusRows.Of(Identity("x", Ready("True", "Issued") with { OAuth2 = new OAuth2Status { ClientId = "spiffe://cluster.local/ns/shop/sa/x" } }));

        Assert.Empty(row.Credentials);
    }

    [Fact]
    public void The_table_has_a_line_per_credential_names_each_identity_that_is_not_Ready_and_why_and_lists_not_Ready_ones_for_scripts()
    {
        var ok = Identity("payments", Ready("True", "Issued") with
        {
            X509 = new X509Status { SecretName = "payments-svid", SerialNumber = "0abc", NotAfter = Now.AddHours(23), RenewalTime = Now.AddHours(15) },
        });
        var bad = Identity("evil", Ready("False", "NotAllowed"));

        var report = StatusRows.Report([ok, bad], null);
        var table = StatusTable.Render(report, allNamespaces: false, Now);
        var wide = StatusTable.Render(report, allNamespaces: true, Now);

        Assert.Equal(["shop/evil"], report.NotReady);
        Assert.Equal(
            """
            NAME       READY   REASON       CREDENTIAL   SECRET          ID     EXPIRES   NEXT ROTATION
            evil       False   NotAllowed   -            -               -      -         -
            payments   True    Issued       x509         payments-svid   0abc   in 23h    in 15h

            shop/evil is not Ready: NotAllowed: NotAllowed message

            """.ReplaceLineEndings("\n"), table);
        Assert.StartsWith("NAMESPACE   NAME", wide, StringComparison.Ordinal);
        Assert.Contains("\nshop        evil ", wide, StringComparison.Ordinal);
    }

    [Fact]
    public void No_identities_says_so_rather_than_printing_an_empty_table() =>
        Assert.Equal("No ServiceIdentities found.\n", StatusTable.Render(StatusRows.Report([], null), false, Now));

    [Fact]
    public void The_authority_part_says_why_it_could_not_be_read_instead_of_failing_the_command()
    {
        var text = StatusTable.Render(StatusRows.Report([], AuthorityReport.Unreadable("sigil-system", "not allowed to read Secrets in namespace sigil-system (403)")), false, Now);

        Assert.Contains("CA and JWT keys: not allowed to read Secrets in namespace sigil-system (403)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the value just set shows", "r2", "r2", true)]
    [InlineData("an earlier value does not", "r1", "r2", false)]
    [InlineData("no value yet does not", null, "r2", false)]
    public void Rotate_wait_is_done_when_lastRotationRequest_is_the_value_it_set(string because, string? shown, string request, bool done) =>
        Assert.True(RotateCommand.Shows(Identity("x", Ready("True", "Issued") with { LastRotationRequest = shown }), request) == done, because);
}
