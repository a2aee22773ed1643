using System.Globalization;
using System.Text.Json.Nodes;
using Sigil.Credentials.OAuth2;

namespace Sigil.Tests.Credentials.OAuth2;

/// <summary>
/// The annotation the token endpoint verifies client secrets against: which secrets it accepts when (current, staged
/// next, previous within its grace period), and that anything garbled accepts nothing.
/// </summary>
public sealed class ClientSecretVerifiersTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-30T12:00:00Z", CultureInfo.InvariantCulture);
    private const string Current = "sgl_aaaaaaaaaa_current-secret-of-at-least-32-characters";
    private const string Next = "sgl_bbbbbbbbbb_next-secret-of-at-least-32-characters-x";
    private const string Previous = "sgl_cccccccccc_previous-secret-of-at-least-32-characters";

    private static readonly IReadOnlyList<ClientSecretVerifier> Rotating =
    [
        ClientSecretVerifiers.Entry("aaaaaaaaaa", Current),
        ClientSecretVerifiers.Entry("bbbbbbbbbb", Next),
        ClientSecretVerifiers.Entry("cccccccccc", Previous, Now + TimeSpan.FromHours(1)),
    ];

    /// <summary>Annotation value, presented secret, when, and whether it is accepted.</summary>
    private static readonly Dictionary<string, (string? Annotation, string Presented, DateTimeOffset At, bool Accepted)> Table = new()
    {
        ["the current secret is accepted"] = (ClientSecretVerifiers.Format(Rotating), Current, Now, true),
        ["a staged next secret is accepted before the Secret presents it"] = (ClientSecretVerifiers.Format(Rotating), Next, Now, true),
        ["the previous secret is accepted within its grace period"] = (ClientSecretVerifiers.Format(Rotating), Previous, Now + TimeSpan.FromMinutes(59), true),
        ["the previous secret is refused at the end of its grace period"] = (ClientSecretVerifiers.Format(Rotating), Previous, Now + TimeSpan.FromHours(1), false),
        ["the previous secret is refused after its grace period"] = (ClientSecretVerifiers.Format(Rotating), Previous, Now + TimeSpan.FromDays(1), false),
        ["a wrong secret is refused"] = (ClientSecretVerifiers.Format(Rotating), "sgl_aaaaaaaaaa_not-the-secret-at-all-but-just-as-long", Now, false),
        ["the current secret with a trailing newline is refused"] = (ClientSecretVerifiers.Format(Rotating), Current + "\n", Now, false),
        ["an empty presented secret is refused"] = (ClientSecretVerifiers.Format(Rotating), "", Now, false),
        ["the hash itself presented as the secret is refused"] = (ClientSecretVerifiers.Format(Rotating), ClientSecretVerifiers.Sha256Hex(Current), Now, false),
        ["an empty list accepts nothing"] = ("[]", Current, Now, false),
        ["a missing annotation accepts nothing"] = (null, Current, Now, false),
        ["a garbled annotation accepts nothing"] = ("[{\"keyId\":\"aaaaaaaaaa\",\"sha256\":", Current, Now, false),
        ["an annotation that is not a list accepts nothing"] = ($"{{\"keyId\":\"aaaaaaaaaa\",\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current)}\"}}", Current, Now, false),
        ["an entry with an uppercase hash is dropped, not compared"] = ($"[{{\"keyId\":\"aaaaaaaaaa\",\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current).ToUpperInvariant()}\",\"notAfter\":null}}]", Current, Now, false),
        ["an entry with a short hash is dropped, not compared"] = ($"[{{\"keyId\":\"aaaaaaaaaa\",\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current)[..32]}\",\"notAfter\":null}}]", Current, Now, false),
        ["an entry with no key id is dropped"] = ($"[{{\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current)}\",\"notAfter\":null}}]", Current, Now, false),
        ["an entry with no notAfter is live"] = ($"[{{\"keyId\":\"aaaaaaaaaa\",\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current)}\"}}]", Current, Now, true),
        ["a null entry next to a good one does not spoil the list"] = ($"[null,{{\"keyId\":\"aaaaaaaaaa\",\"sha256\":\"{ClientSecretVerifiers.Sha256Hex(Current)}\",\"notAfter\":null}}]", Current, Now, true),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_token_endpoint_accepts_exactly_the_live_client_secrets_of_the_annotation(string because)
    {
        var (annotation, presented, at, accepted) = Table[because];

        var entries = ClientSecretVerifiers.Parse(annotation);

        Assert.True(accepted == ClientSecretVerifiers.Accepts(entries, presented, at), because);
    }

    [Fact]
    public void The_annotation_is_a_JSON_array_of_key_id_lowercase_hex_SHA_256_and_RFC_3339_notAfter_or_null()
    {
        var json = JsonNode.Parse(ClientSecretVerifiers.Format(Rotating))!.AsArray();

        Assert.Equal(3, json.Count);
        foreach (var entry in json)
        {
            Assert.Equal(["keyId", "sha256", "notAfter"], entry!.AsObject().Select(p => p.Key));
            Assert.Matches("^[0-9a-f]{64}$", (string)entry["sha256"]!);
        }
        // The hash is of the UTF-8 secret exactly as the Secret's client-secret holds it, as a consumer we did not write computes it.
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Current))),
            (string)json[0]!["sha256"]!);
        Assert.Null(json[0]!["notAfter"]);
        Assert.Null(json[1]!["notAfter"]);
        Assert.Equal("2026-11-30T13:00:00Z", (string)json[2]!["notAfter"]!);
        Assert.True(DateTimeOffset.TryParseExact((string)json[2]!["notAfter"]!, "yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
    }

    [Fact]
    public void Formatting_is_deterministic_so_a_pass_that_changes_nothing_writes_nothing()
    {
        var reordered = new[] { Rotating[2], Rotating[1], Rotating[0] };

        Assert.Equal(ClientSecretVerifiers.Format(Rotating), ClientSecretVerifiers.Format(reordered));
        Assert.Equal(Rotating, ClientSecretVerifiers.Parse(ClientSecretVerifiers.Format(Rotating)).OrderBy(e => e.KeyId));
    }

    [Fact]
    public void The_annotation_never_holds_a_secret_in_clear()
    {
        var annotation = ClientSecretVerifiers.Format(Rotating);

        Assert.DoesNotContain("secret-of-at-least", annotation, StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_annotations_are_read_by_the_annotation_name_the_token_endpoint_uses()
    {
        var annotations = new Dictionary<string, string> { ["sigil.dev/client-secret-verifiers"] = ClientSecretVerifiers.Format(Rotating) };

        Assert.True(ClientSecretVerifiers.Accepts(ClientSecretVerifiers.From(annotations), Current, Now));
        Assert.False(ClientSecretVerifiers.Accepts(ClientSecretVerifiers.From(null), Current, Now));
    }

    private static Sigil.Api.ServiceIdentity Payments(bool clientSecret = true, string uid = "uid-payments", string? secretName = null) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = "payments", NamespaceProperty = "shop", Uid = uid },
        Spec = new Sigil.Api.ServiceIdentitySpec
        {
            OAuth2 = new Sigil.Api.OAuth2Spec
            {
                ClientSecret = clientSecret ? new Sigil.Api.OAuth2ClientSecretSpec { SecretName = secretName, Rotation = new Sigil.Api.RotationSpec { Every = "720h" } } : null,
            },
        },
    };

    private static k8s.Models.V1Secret SecretOf(Sigil.Api.ServiceIdentity owner, string name = "payments-oauth2", string ns = "shop", bool labelled = true)
    {
        var secret = Sigil.Credentials.ManagedSecrets.ManagedSecret(owner, name, "Opaque",
            new Dictionary<string, string> { [ClientSecretVerifiers.Annotation] = ClientSecretVerifiers.Format(Rotating) }, []);
        secret.Metadata.NamespaceProperty = ns;
        if (!labelled)
        {
            secret.Metadata.Labels = null;
        }
        return secret;
    }

    /// <summary>The identity the client claims to be, the Secret the endpoint's cache holds, and whether its annotation may verify anything.</summary>
    private static readonly Dictionary<string, (Sigil.Api.ServiceIdentity Identity, k8s.Models.V1Secret? Secret, bool Verifies)> Sources = new()
    {
        ["the Secret Sigil wrote for this identity verifies"] = (Payments(), SecretOf(Payments()), true),
        ["a Secret under a secretName the spec gives verifies"] = (Payments(secretName: "client"), SecretOf(Payments(), name: "client"), true),
        ["no Secret verifies nothing"] = (Payments(), null, false),
        ["an identity whose spec no longer has clientSecret verifies nothing, though its old Secret is still there"] = (Payments(clientSecret: false), SecretOf(Payments()), false),
        ["a Secret someone else made, with a copied annotation but without Sigil's label, verifies nothing"] = (Payments(), SecretOf(Payments(), labelled: false), false),
        ["a Secret owned by an earlier identity of the same name (another uid) verifies nothing"] = (Payments(), SecretOf(Payments(uid: "uid-deleted-payments")), false),
        ["another identity's client Secret verifies nothing for this one"] = (Payments(), SecretOf(Payments(uid: "uid-orders"), name: "payments-oauth2"), false),
        ["a Secret of another name (the default, while the spec names another) verifies nothing"] = (Payments(secretName: "client"), SecretOf(Payments()), false),
        ["a Secret of the same name in another namespace verifies nothing"] = (Payments(), SecretOf(Payments(), ns: "evil"), false),
    };

    public static TheoryData<string> SourceCases => [.. Sources.Keys];

    [Theory]
    [MemberData(nameof(SourceCases))]
    public void Only_the_Secret_Sigil_wrote_for_the_client_identity_may_verify_its_secret(string because)
    {
        var (identity, secret, verifies) = Sources[because];

        Assert.True(verifies == ClientSecretVerifiers.Accepts(ClientSecretVerifiers.For(identity, secret), Current, Now), because);
    }
}
