using System.Globalization;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.OAuth2;

namespace Sigil.Tests.Credentials.OAuth2;

/// <summary>
/// Which client secrets the token endpoint accepts after a pass: the current and a staged next one, and each earlier one
/// exactly until its rotation + grace period. Cases from the side of a pod that sees the Secret late, and of an attacker
/// holding an old secret.
/// </summary>
public sealed class ClientSecretVerifierPlanTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture);
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);
    private static readonly ApiKeyMaterial A = new("aaaaaaaaaa", "secret-a-0123456789012345678901234567890123");
    private static readonly ApiKeyMaterial B = new("bbbbbbbbbb", "secret-b-0123456789012345678901234567890123");
    private static readonly ApiKeyMaterial C = new("cccccccccc", "secret-c-0123456789012345678901234567890123");

    private static ClientSecretVerifier Live(ApiKeyMaterial k) => ClientSecretVerifierPlan.Entry(k);

    private static ClientSecretVerifier Retiring(ApiKeyMaterial k, DateTimeOffset notAfter) => ClientSecretVerifierPlan.Entry(k) with { NotAfter = notAfter };

    /// <summary>What the annotation held, the current and next secret, when the current one was presented, now; then what it should hold.</summary>
    private static readonly Dictionary<string, (ClientSecretVerifier[] Existing, ApiKeyMaterial? Current, ApiKeyMaterial? Next, DateTimeOffset RotatedAt, DateTimeOffset Now, ClientSecretVerifier[] Expected)> Table = new()
    {
        ["the first secret is accepted with no end"] =
            ([], A, null, T0, T0, [Live(A)]),
        ["a staged next secret is accepted beside the current one before it is presented"] =
            ([Live(A)], A, B, T0, T0 + TimeSpan.FromDays(1), [Live(A), Live(B)]),
        ["once the next secret is presented, the previous one is retired at rotation time plus grace"] =
            ([Live(A), Live(B)], B, null, T0, T0, [Live(B), Retiring(A, T0 + Grace)]),
        ["a retired secret keeps the end it was given, whatever the grace period says now"] =
            ([Live(B), Retiring(A, T0 + TimeSpan.FromMinutes(10))], B, null, T0, T0, [Live(B), Retiring(A, T0 + TimeSpan.FromMinutes(10))]),
        ["a retired secret is kept until the last moment of its grace period"] =
            ([Live(B), Retiring(A, T0 + Grace)], B, null, T0, T0 + Grace - TimeSpan.FromSeconds(1), [Live(B), Retiring(A, T0 + Grace)]),
        ["a retired secret leaves at the end of its grace period"] =
            ([Live(B), Retiring(A, T0 + Grace)], B, null, T0, T0 + Grace, [Live(B)]),
        ["two rotations inside one grace period keep both earlier secrets, each until its own end"] =
            ([Live(C), Retiring(A, T0 + Grace)], C, null, T0 + TimeSpan.FromMinutes(5), T0 + TimeSpan.FromMinutes(5),
                [Live(C), Retiring(A, T0 + Grace)]),
        ["a secret that is neither current nor next and has no end gets one: nothing is accepted forever by mistake"] =
            ([Live(A), Live(C)], B, null, T0, T0, [Live(B), Retiring(A, T0 + Grace), Retiring(C, T0 + Grace)]),
        // Attacker's side: whoever may write Secrets in the namespace adds an entry for a secret of their own.
        ["an entry written by hand with a far end is cut to the grace of the latest rotation, never carried on"] =
            ([Live(B), Retiring(C, new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero))], B, null, T0, T0, [Live(B), Retiring(C, T0 + Grace)]),
        ["an entry written by hand after the grace of the latest rotation is dropped at the next pass"] =
            ([Live(B), Retiring(C, new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero))], B, null, T0, T0 + Grace, [Live(B)]),
        ["a current secret once retired (its hash restored by hand) is live again, not retiring"] =
            ([Retiring(A, T0 + Grace)], A, null, T0, T0, [Live(A)]),
        ["an entry naming the current key id with another hash is replaced, not kept beside it"] =
            ([Live(A) with { Sha256 = new string('0', 64) }], A, null, T0, T0, [Live(A)]),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_annotation_accepts_current_next_and_previous_secrets_for_exactly_their_grace_period(string because)
    {
        var (existing, current, next, rotatedAt, now, expected) = Table[because];

        var desired = ClientSecretVerifierPlan.Desired(existing, current, next, rotatedAt, Grace, now);

        Assert.True(ClientSecretVerifiers.Format(expected) == ClientSecretVerifiers.Format(desired),
            $"{because}: expected {ClientSecretVerifiers.Format(expected)}, got {ClientSecretVerifiers.Format(desired)}");
    }

    [Fact]
    public void Holding_a_secret_means_accepting_it_as_live_not_as_retiring()
    {
        Assert.True(ClientSecretVerifierPlan.Holds([Live(A), Live(B)], B));
        Assert.False(ClientSecretVerifierPlan.Holds([Live(A), Retiring(B, T0)], B));
        Assert.False(ClientSecretVerifierPlan.Holds([Live(A)], B));
    }

    [Fact]
    public void The_next_expiry_is_the_earliest_end_of_a_retiring_secret()
    {
        Assert.Equal(T0, ClientSecretVerifierPlan.NextExpiry([Live(C), Retiring(A, T0 + Grace), Retiring(B, T0)]));
        Assert.Null(ClientSecretVerifierPlan.NextExpiry([Live(C)]));
    }

    [Fact]
    public void An_entry_verifies_the_whole_presented_client_secret()
    {
        Assert.True(ClientSecretVerifiers.Accepts([Live(A)], A.Presented, T0));
        Assert.False(ClientSecretVerifiers.Accepts([Live(A)], A.Secret, T0));
        Assert.StartsWith("sgl_aaaaaaaaaa_", A.Presented, StringComparison.Ordinal);
    }
}
