using Microsoft.Extensions.Time.Testing;
using Sigil.Authority;
using Sigil.Identity;

namespace Sigil.Tests.Authority;

/// <summary>
/// The schedule of a root Sigil generates follows its --ca-ttl: the lifecycle keys off notAfter - notBefore, so the
/// back-dating of notBefore must not stretch a short lifetime (5 minutes on a 6-minute CA made it 11 minutes, prepared
/// the successor 30 s after the CA was made, and every successor at once after it activated).
/// </summary>
public sealed class RootScheduleTests
{
    private static readonly DateTimeOffset Made = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("a trial CA of six minutes", 6 * 60)]
    [InlineData("a CA of one hour", 60 * 60)]
    [InlineData("a CA of one day", 24 * 60 * 60)]
    public void A_generated_root_is_prepared_at_half_and_activated_at_five_sixths_of_its_ttl(string _, int ttlSeconds)
    {
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        using var ca = CertificateAuthority.CreateRoot("cluster.local", new FakeTimeProvider(Made), ttl);
        var validity = AuthorityState.ValidityOf(ca.Signer);
        var tolerance = ttl / 50;

        Assert.Equal(Made + ttl, validity.NotAfter);
        Assert.InRange(CaLifecycle.PrepareAt(validity), Made + ttl / 2 - tolerance, Made + ttl / 2);
        Assert.InRange(CaLifecycle.ActivateAt(validity), Made + ttl * 5 / 6 - tolerance, Made + ttl * 5 / 6);
        Assert.InRange(CaLifecycle.DropAt(validity), Made + ttl * 7 / 6, Made + ttl * 7 / 6 + tolerance);
    }

    [Fact]
    public void A_year_long_root_keeps_five_minutes_of_clock_skew_allowance()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", new FakeTimeProvider(Made));

        Assert.Equal(Made - TimeSpan.FromMinutes(5), AuthorityState.ValidityOf(ca.Signer).NotBefore);
    }
}
