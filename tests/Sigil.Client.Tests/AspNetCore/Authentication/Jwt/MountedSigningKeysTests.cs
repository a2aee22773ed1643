using Microsoft.Extensions.Time.Testing;
using Sigil.AspNetCore;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;
using Sigil.Identity;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>
/// An unknown kid makes the mounted jwks.json be read again, and anyone can send tokens naming unknown kids: at most
/// one forced read per <see cref="MountedSigningKeys.MinForcedReloadInterval"/>.
/// </summary>
public sealed class MountedSigningKeysTests : IDisposable
{
    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public void Unknown_kids_make_the_folder_be_read_again_at_most_once_per_interval()
    {
        var first = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
        var next = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var jwks = new JwksSource(_world.WriteTrustBundle("bundle", first),
            new CredentialSourceOptions { WatchFileSystem = false, PollInterval = TimeSpan.FromHours(1) });
        var keys = new MountedSigningKeys(jwks, time);

        Assert.Empty(keys.Resolve("unknown-kid"));
        _world.WriteTrustBundle("bundle", first, next);
        var soonAfter = keys.Resolve(next.KeyId).ToList();
        time.Advance(MountedSigningKeys.MinForcedReloadInterval);
        var afterTheInterval = keys.Resolve(next.KeyId).ToList();

        Assert.Empty(soonAfter);
        Assert.Single(afterTheInterval);
    }
}
