using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.OAuth2;

namespace Sigil.Tests.Credentials.OAuth2;

/// <summary>spec.oauth2 read into what to keep: which Secret, and the rotation rule (API keys' rules and messages, at this field).</summary>
public sealed class DesiredClientSecretTests
{
    private static ServiceIdentity Identity(OAuth2Spec? oauth2) => new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" },
        Spec = new ServiceIdentitySpec { OAuth2 = oauth2 },
    };

    private static OAuth2Spec Secret(string? every = "720h", string? schedule = null, string? grace = null, string? secretName = null) => new()
    {
        ClientSecret = new OAuth2ClientSecretSpec { SecretName = secretName, Rotation = new RotationSpec { Every = every, Schedule = schedule, GracePeriod = grace } },
    };

    /// <summary>The spec, then the expected Secret name, interval, cron, grace, or a part of the message when it is invalid.</summary>
    private static readonly Dictionary<string, (OAuth2Spec? Spec, string? SecretName, TimeSpan? Every, string? Cron, TimeSpan? Grace, string? Invalid)> Table = new()
    {
        ["no oauth2 block keeps no client secret"] = (null, null, null, null, null, null),
        ["an oauth2 block without clientSecret keeps no client secret (the SVID authenticates)"] = (new OAuth2Spec(), null, null, null, null, null),
        ["the Secret defaults to <name>-oauth2"] = (Secret(), "payments-oauth2", TimeSpan.FromHours(720), null, TimeSpan.FromHours(24), null),
        ["a given secretName is used"] = (Secret(secretName: "client"), "client", TimeSpan.FromHours(720), null, TimeSpan.FromHours(24), null),
        ["the grace period defaults to 24h, as for API keys"] = (Secret(every: "1h"), "payments-oauth2", TimeSpan.FromHours(1), null, TimeSpan.FromHours(24), null),
        ["a given grace period is used"] = (Secret(grace: "90m"), "payments-oauth2", TimeSpan.FromHours(720), null, TimeSpan.FromMinutes(90), null),
        ["a cron schedule is read in UTC"] = (Secret(every: null, schedule: "0 3 * * 0"), "payments-oauth2", null, "0 3 * * 0", TimeSpan.FromHours(24), null),
        ["every and schedule together is invalid, naming the field"] = (Secret(schedule: "0 3 * * 0"), null, null, null, null, "spec.oauth2.clientSecret.rotation needs exactly one of every and schedule"),
        ["neither every nor schedule is invalid"] = (Secret(every: null), null, null, null, null, "spec.oauth2.clientSecret.rotation needs exactly one of every and schedule"),
        ["an interval under a minute is invalid"] = (Secret(every: "30s"), null, null, null, null, "spec.oauth2.clientSecret.rotation.every \"30s\" is not a duration of at least 1m"),
        ["a grace period that is no duration is invalid"] = (Secret(grace: "a day"), null, null, null, null, "spec.oauth2.clientSecret.rotation.gracePeriod \"a day\" is not a duration"),
        ["a cron expression that does not parse is invalid"] = (Secret(every: null, schedule: "at noon"), null, null, null, null, "spec.oauth2.clientSecret.rotation.schedule \"at noon\" is not a five-field cron expression"),
        ["a Secret name that is not a DNS subdomain is invalid"] = (Secret(secretName: "Client_Secret"), null, null, null, null, "spec.oauth2.clientSecret.secretName \"Client_Secret\" is not a valid Secret name"),
        ["a Secret name that reaches into another path is invalid"] = (Secret(secretName: "../orders-oauth2"), null, null, null, null, "is not a valid Secret name"),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_client_secret_spec_is_read_with_defaults_or_says_what_to_change(string because)
    {
        var (spec, secretName, every, cron, grace, invalid) = Table[because];

        var (desired, problem) = DesiredClientSecret.FromSpec(Identity(spec));

        if (invalid is not null)
        {
            Assert.Null(desired);
            Assert.Contains(invalid, problem, StringComparison.Ordinal);
            return;
        }
        Assert.Null(problem);
        Assert.Equal(secretName, desired?.SecretName);
        Assert.Equal(every, desired?.Schedule.Every);
        Assert.Equal(cron, desired?.Schedule.Cron?.ToString());
        Assert.Equal(grace, desired?.Schedule.Grace);
    }
}
