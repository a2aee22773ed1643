using Sigil.Mount;

namespace Sigil.Tests.Mount;

public sealed class MountTargetTests
{
    [Theory]
    [InlineData("a bare name is a Secret", "payments-svid=./svid", "Secret", "payments-svid", "./svid")]
    [InlineData("secret/ names a Secret too", "secret/payments-svid=./svid", "Secret", "payments-svid", "./svid")]
    [InlineData("secrets/ as kubectl accepts it", "secrets/payments-svid=svid", "Secret", "payments-svid", "svid")]
    [InlineData("configmap/ names a ConfigMap", "configmap/sigil-trust-bundle=./trust", "ConfigMap", "sigil-trust-bundle", "./trust")]
    [InlineData("cm/ as kubectl accepts it", "cm/sigil-trust-bundle=/tmp/trust", "ConfigMap", "sigil-trust-bundle", "/tmp/trust")]
    [InlineData("a folder may hold '=' after the first", "payments-svid=./a=b", "Secret", "payments-svid", "./a=b")]
    [InlineData("a dotted name", "a.b-c=x", "Secret", "a.b-c", "x")]
    public void A_target_names_a_Secret_or_ConfigMap_and_a_folder(string because, string text, string kind, string name, string directory)
    {
        var parse = MountTarget.Parse(text);

        Assert.Null(parse.Error);
        Assert.Equal(new MountTarget(Enum.Parse<MountKind>(kind), name, directory), parse.Target);
        Assert.NotNull(because);
    }

    [Theory]
    [InlineData("no '=' at all", "payments-svid", "is not SECRET=DIR")]
    [InlineData("no folder", "payments-svid=", "names no folder")]
    [InlineData("no name", "=./svid", "is not a Kubernetes object name")]
    [InlineData("an upper-case name", "Payments=./svid", "is not a Kubernetes object name")]
    [InlineData("a name with a slash after the kind", "secret/a/b=./svid", "is not a Kubernetes object name")]
    [InlineData("a kind that cannot be mounted", "deployment/payments=./svid", "is neither secret/ nor configmap/")]
    [InlineData("a path-like name", "../etc=./svid", "is neither secret/ nor configmap/")]
    public void A_malformed_target_is_refused_with_a_line_that_says_why(string because, string text, string expected)
    {
        var parse = MountTarget.Parse(text);

        Assert.Null(parse.Target);
        Assert.Contains(expected, parse.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', parse.Error!);
        Assert.NotNull(because);
    }

    [Theory]
    [InlineData("Secret", "secret/x", AtomicWriter.SecretFileMode)]
    [InlineData("ConfigMap", "configmap/x", AtomicWriter.ConfigMapFileMode)]
    public void Secrets_are_written_for_the_owner_alone_and_ConfigMaps_for_all(string kind, string source, UnixFileMode mode)
    {
        var target = new MountTarget(Enum.Parse<MountKind>(kind), "x", "d");

        Assert.Equal(source, target.Source);
        Assert.Equal(mode, target.FileMode);
    }
}
