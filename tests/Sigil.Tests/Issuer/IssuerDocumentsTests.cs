using System.Text;
using System.Text.Json;
using Sigil.Identity;
using Sigil.Issuer;

namespace Sigil.Tests.Issuer;

public sealed class IssuerDocumentsTests
{
    [Fact]
    public void Discovery_has_exactly_the_members_the_product_lists_and_the_URLs_follow_the_issuer()
    {
        using var ca = StandaloneIssuer.NewCa();
        var documents = IssuerDocuments.Render("https://issuer.example.com/sigil", JwtSigningKey.ES256, StandaloneIssuer.Snapshot(ca, null, TimeSpan.FromMinutes(10)), TimeSpan.FromMinutes(10));
        var discovery = StandaloneIssuer.Json(Encoding.UTF8.GetString(documents.Discovery.Body));

        Assert.Equal(["issuer", "jwks_uri", "token_endpoint", "grant_types_supported", "token_endpoint_auth_methods_supported",
            "token_endpoint_auth_signing_alg_values_supported", "tls_client_certificate_bound_access_tokens", "id_token_signing_alg_values_supported", "response_types_supported", "subject_types_supported"], discovery.EnumerateObject().Select(p => p.Name));
        Assert.Equal("https://issuer.example.com/sigil", discovery.GetProperty("issuer").GetString());
        Assert.Equal("https://issuer.example.com/sigil/keys", discovery.GetProperty("jwks_uri").GetString());
        Assert.Equal("https://issuer.example.com/sigil/oauth2/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal(["client_credentials"], Strings(discovery, "grant_types_supported"));
        Assert.Equal(["client_secret_basic", "client_secret_post", "tls_client_auth", "private_key_jwt"], Strings(discovery, "token_endpoint_auth_methods_supported"));
        Assert.Equal(["ES256", "ES384", "RS256", "PS256", "EdDSA"], Strings(discovery, "token_endpoint_auth_signing_alg_values_supported"));
        Assert.True(discovery.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean());
        Assert.Equal(["id_token"], Strings(discovery, "response_types_supported"));
        Assert.Equal(["public"], Strings(discovery, "subject_types_supported"));
        Assert.Equal(["ES256"], Strings(discovery, "id_token_signing_alg_values_supported"));
        Assert.Equal("application/json", documents.Discovery.ContentType);
    }

    [Fact]
    public void The_signing_algorithms_are_the_configured_one_and_those_of_every_published_key()
    {
        using var ca = StandaloneIssuer.NewCa();
        using var rsa = JwtSigningKey.Generate(JwtSigningKey.RS256);

        // An RS256 key still published after --jwt-key-algorithm moved to ES256: tokens it signed must still verify.
        var documents = IssuerDocuments.Render("https://sigil.ops.svc:8443", JwtSigningKey.ES256, StandaloneIssuer.Snapshot(ca, rsa, TimeSpan.FromMinutes(10)), TimeSpan.FromMinutes(10));

        Assert.Equal(["ES256", "RS256"], Strings(StandaloneIssuer.Json(Encoding.UTF8.GetString(documents.Discovery.Body)), "id_token_signing_alg_values_supported"));
    }

    [Fact]
    public void Keys_is_the_snapshots_JWKS_byte_for_byte_and_its_tag_follows_the_content()
    {
        using var ca = StandaloneIssuer.NewCa();
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var other = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var snapshot = StandaloneIssuer.Snapshot(ca, key, TimeSpan.FromMinutes(10));

        var first = IssuerDocuments.Render("https://sigil.ops.svc:8443", JwtSigningKey.ES256, snapshot, TimeSpan.FromMinutes(10));
        var again = IssuerDocuments.Render("https://sigil.ops.svc:8443", JwtSigningKey.ES256, StandaloneIssuer.Snapshot(ca, key, TimeSpan.FromMinutes(10), sequence: 7), TimeSpan.FromMinutes(10));
        var changed = IssuerDocuments.Render("https://sigil.ops.svc:8443", JwtSigningKey.ES256, StandaloneIssuer.Snapshot(ca, other, TimeSpan.FromMinutes(10)), TimeSpan.FromMinutes(10));

        Assert.Equal(snapshot.Jwks, Encoding.UTF8.GetString(first.Keys.Body));
        Assert.Equal("application/jwk-set+json", first.Keys.ContentType);
        Assert.Contains(key.KeyId, snapshot.Jwks, StringComparison.Ordinal);
        // Another replica (or this one after a CA step that left the keys alone) gives the same tag: a 304 stays a 304.
        Assert.Equal(first.Keys.ETag, again.Keys.ETag);
        Assert.NotEqual(first.Keys.ETag, changed.Keys.ETag);
        Assert.Matches("^\"[A-Za-z0-9_-]+\"$", first.Keys.ETag);
    }

    public static TheoryData<string, TimeSpan, string> Propagations => new()
    {
        { "the default 10m: caches keep it 5 minutes", TimeSpan.FromMinutes(10), "public, max-age=300" },
        { "1h: 30 minutes", TimeSpan.FromHours(1), "public, max-age=1800" },
        { "3s: 1 second", TimeSpan.FromSeconds(3), "public, max-age=1" },
        { "1s: less than a whole second of caching is none", TimeSpan.FromSeconds(1), "no-cache" },
        { "0s (trials): revalidate every time", TimeSpan.Zero, "no-cache" },
    };

    [Theory]
    [MemberData(nameof(Propagations))]
    public void Caches_are_told_to_refresh_well_within_bundle_propagation(string because, TimeSpan propagation, string expected)
    {
        var header = IssuerDocuments.CacheControl(propagation);

        Assert.True(expected == header, $"{because}: {header}");
        if (header.StartsWith("public, max-age=", StringComparison.Ordinal))
        {
            Assert.True(long.Parse(header["public, max-age=".Length..], System.Globalization.CultureInfo.InvariantCulture) <= propagation.TotalSeconds, because);
        }
    }

    private static string[] Strings(JsonElement document, string name) => [.. document.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
}
