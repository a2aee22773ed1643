using Sigil.Credentials.Jwt;

namespace Sigil.Tests.Credentials.Jwt;

/// <summary>Which tokens to sign, and why; which to drop; and that renewal comes at half the lifetime, jittered early, never late.</summary>
public sealed class JwtRenewalPolicyTests
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string Sub = "spiffe://cluster.local/ns/shop/sa/payments";
    private const string Iss = "https://sigil.sigil.svc:8443";
    private const string OrdersAud = "spiffe://cluster.local/ns/shop/sa/orders";
    private const string VaultAud = "https://vault.example.com";
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly WantedToken Orders = new("orders", OrdersAud);
    private static readonly WantedToken Vault = new("vault", VaultAud);

    private static StoredToken Token(string aud, DateTimeOffset? issuedAt = null, string kid = "k1", string sub = Sub, string iss = Iss, TimeSpan? ttl = null) =>
        new(kid, sub, aud, iss, issuedAt ?? IssuedAt, (issuedAt ?? IssuedAt) + (ttl ?? Ttl));

    private static StoredJwts Stored(string? request = null, params (string Key, StoredToken? Token)[] tokens) =>
        new(tokens.ToDictionary(t => t.Key, t => t.Token), request);

    private static readonly StoredJwts Fresh = Stored(null, ("orders.jwt", Token(OrdersAud)), ("vault.jwt", Token(VaultAud)));

    private static JwtInput Input(StoredJwts? stored, DateTimeOffset? now = null, WantedToken[]? wanted = null, string[]? published = null,
        bool signer = true, string? rotate = null, string iss = Iss, string sub = Sub, double jitter = 0.5, TimeSpan? ttl = null) =>
        new(sub, iss, ttl ?? Ttl, wanted ?? [Orders, Vault], stored, (published ?? ["k1", "k2"]).ToHashSet(), signer, rotate, jitter, now ?? IssuedAt.AddMinutes(5));

    /// <summary>Half the lifetime, minus 10% × jitter 0.5 = 30m - 3m.</summary>
    private static readonly DateTimeOffset DueAt = IssuedAt + TimeSpan.FromMinutes(27);

    // (because, the input, the expected (token name, reason) to sign, the expected keys to drop)
    private static readonly Dictionary<string, (JwtInput Input, (string, string)[] Issue, string[] Remove)> Table = new()
    {
        ["fresh tokens for every audience are left alone"] = (Input(Fresh), [], []),
        ["issue every token when the Secret is missing"] = (Input(null),
            [("orders", JwtRenewalReasons.SecretMissing), ("vault", JwtRenewalReasons.SecretMissing)], []),
        ["issue only the token of an audience added to the spec"] = (Input(Stored(null, ("orders.jwt", Token(OrdersAud)))),
            [("vault", JwtRenewalReasons.AudienceAdded)], []),
        ["issue a token removed from the Secret by hand"] = (Input(Stored(null, ("vault.jwt", Token(VaultAud)))),
            [("orders", JwtRenewalReasons.AudienceAdded)], []),
        ["drop the token of an audience removed from the spec"] = (Input(Fresh, wanted: [Orders]), [], ["vault.jwt"]),
        ["drop the token of an audience whose receiver no longer accepts, and keep the other"] = (Input(Fresh, wanted: [Vault]), [], ["orders.jwt"]),
        ["drop keys that are no token of an audience"] = (Input(Stored(null, ("orders.jwt", Token(OrdersAud)), ("vault.jwt", Token(VaultAud)), ("stray", null))), [], ["stray"]),
        ["reissue a token that cannot be read"] = (Input(Stored(null, ("orders.jwt", null), ("vault.jwt", Token(VaultAud)))),
            [("orders", JwtRenewalReasons.TokenUnreadable)], []),
        ["reissue a token whose aud is no longer what the audience resolves to"] = (Input(Stored(null, ("orders.jwt", Token("spiffe://cluster.local/ns/shop/sa/old")), ("vault.jwt", Token(VaultAud)))),
            [("orders", JwtRenewalReasons.AudienceChanged)], []),
        ["reissue every token when the identity's SPIFFE ID changed"] = (Input(Fresh, sub: "spiffe://cluster.local/ns/shop/sa/payments-v2"),
            [("orders", JwtRenewalReasons.SubjectChanged), ("vault", JwtRenewalReasons.SubjectChanged)], []),
        ["reissue every token when --issuer-url changed"] = (Input(Fresh, iss: "https://sigil.example.com"),
            [("orders", JwtRenewalReasons.IssuerChanged), ("vault", JwtRenewalReasons.IssuerChanged)], []),
        ["reissue at once a token whose signing key is no longer published"] = (Input(Fresh, published: ["k2"]),
            [("orders", JwtRenewalReasons.SigningKeyDropped), ("vault", JwtRenewalReasons.SigningKeyDropped)], []),
        ["a token signed by a key that no longer signs but is still published is kept until due"] = (Input(Fresh, published: ["k2", "k1"]), [], []),
        ["reissue every token when spec.jwt.ttl changed"] = (Input(Fresh, ttl: TimeSpan.FromMinutes(30)),
            [("orders", JwtRenewalReasons.TtlChanged), ("vault", JwtRenewalReasons.TtlChanged)], []),
        ["a new sigil.dev/rotate value reissues every token"] = (Input(Fresh, rotate: "r1"),
            [("orders", JwtRenewalReasons.ManualRotation), ("vault", JwtRenewalReasons.ManualRotation)], []),
        ["the sigil.dev/rotate value the tokens were renewed for does not renew them again"] = (Input(Fresh with { RotationRequest = "r1" }, rotate: "r1"), [], []),
        ["an empty sigil.dev/rotate value is no request"] = (Input(Fresh, rotate: ""), [], []),
        ["a token one second before its renewal time is not due"] = (Input(Fresh, now: DueAt.AddSeconds(-1)), [], []),
        ["tokens at their renewal time are due"] = (Input(Fresh, now: DueAt),
            [("orders", JwtRenewalReasons.DueForRenewal), ("vault", JwtRenewalReasons.DueForRenewal)], []),
        ["an expired token is due"] = (Input(Fresh, now: IssuedAt + TimeSpan.FromHours(2)),
            [("orders", JwtRenewalReasons.DueForRenewal), ("vault", JwtRenewalReasons.DueForRenewal)], []),
        ["when one token is due the Secret's later ones are renewed with it, in one write"] =
            (Input(Stored(null, ("orders.jwt", Token(OrdersAud)), ("vault.jwt", Token(VaultAud, IssuedAt.AddMinutes(20)))), now: DueAt),
                [("orders", JwtRenewalReasons.DueForRenewal), ("vault", JwtRenewalReasons.DueForRenewal)], []),
        ["an audience added while others are due is issued for being added"] = (Input(Stored(null, ("orders.jwt", Token(OrdersAud))), now: DueAt),
            [("orders", JwtRenewalReasons.DueForRenewal), ("vault", JwtRenewalReasons.AudienceAdded)], []),
        ["nothing is signed while no signing key is loaded, but a withdrawn audience is still dropped"] = (Input(Fresh, wanted: [Orders], signer: false, now: DueAt), [], ["vault.jwt"]),
        ["a Secret with no audiences to hold and no tokens needs no write"] = (Input(null, wanted: []), [], []),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_renewal_policy_says_which_tokens_to_sign_and_drop_and_why(string because)
    {
        var (input, issue, remove) = Table[because];

        var plan = JwtRenewalPolicy.Decide(input);

        Assert.True(issue.SequenceEqual(plan.Issue.Select(d => (d.Name, d.Reason))),
            $"{because}: expected [{string.Join(", ", issue)}], got [{string.Join(", ", plan.Issue.Select(d => $"{d.Name}: {d.Reason}"))}]");
        Assert.Equal(remove, plan.Remove.Select(d => d.Name));
        Assert.Equal(issue.Length > 0 || remove.Length > 0, plan.Writes);
    }

    [Fact]
    public void Without_a_signing_key_a_due_renewal_waits_and_says_so_instead_of_failing()
    {
        var plan = JwtRenewalPolicy.Decide(Input(null, signer: false));

        Assert.Empty(plan.Issue);
        Assert.False(plan.Writes);
        Assert.Contains("no JWT signing key is loaded yet", plan.WaitingForKey, StringComparison.Ordinal);
        Assert.Null(JwtRenewalPolicy.Decide(Input(null)).WaitingForKey);
        Assert.Null(JwtRenewalPolicy.Decide(Input(Fresh, signer: false)).WaitingForKey);
    }

    [Fact]
    public void A_manual_rotation_records_its_value_and_a_routine_renewal_keeps_the_last_one()
    {
        Assert.Equal("r2", JwtRenewalPolicy.Decide(Input(Fresh with { RotationRequest = "r1" }, rotate: "r2")).Request);
        Assert.Equal("r1", JwtRenewalPolicy.Decide(Input(Fresh with { RotationRequest = "r1" }, rotate: "r1", now: DueAt)).Request);
        Assert.Equal("r1", JwtRenewalPolicy.Decide(Input(null, rotate: "r1")).Request);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    public void Renewal_is_at_half_the_lifetime_pulled_earlier_by_at_most_a_tenth_never_later(double jitter)
    {
        foreach (var ttl in new[] { TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromMinutes(97), TimeSpan.FromHours(24) })
        {
            var renewal = JwtRenewalPolicy.RenewalTime(Token(OrdersAud, ttl: ttl), jitter);

            Assert.InRange(renewal, IssuedAt + ttl / 2 - ttl / 10 - TimeSpan.FromSeconds(1), IssuedAt + ttl / 2);
            Assert.Equal(0, renewal.Ticks % TimeSpan.TicksPerSecond);
        }
        Assert.Equal(IssuedAt + TimeSpan.FromMinutes(30), JwtRenewalPolicy.RenewalTime(Token(OrdersAud), 0));
        Assert.Equal(IssuedAt + TimeSpan.FromMinutes(24), JwtRenewalPolicy.RenewalTime(Token(OrdersAud), 1));
    }

    [Fact]
    public void The_jitter_spreads_identities_over_the_window_and_is_the_same_on_every_pass()
    {
        var fractions = Enumerable.Range(0, 200).Select(i => Sigil.Credentials.X509.RenewalSchedule.Fraction($"shop/svc-{i}")).ToList();

        Assert.All(fractions, f => Assert.InRange(f, 0, 1));
        Assert.True(fractions.Distinct().Count() > 190);
        Assert.True(fractions.Min() < 0.1 && fractions.Max() > 0.9);
        Assert.Equal(Sigil.Credentials.X509.RenewalSchedule.Fraction("shop/svc-7"), fractions[7]);
    }
}
