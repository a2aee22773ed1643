using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary><c>sigil local</c>'s token issuer as its banner tells a newcomer to reach it: kubectl for the bundle, then curl.</summary>
public sealed class LocalIssuerTests
{
    [Fact]
    public async Task Sigil_local_prints_the_issuer_URL_and_curl_trusting_the_printed_bundle_lists_the_published_keys()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-issuer-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        // --issuer-port is left out on purpose: 8443 may be taken on this machine, and then a free port serves it.
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--metrics-port", "0", "--health-port", "0"], workingDirectory: folder);
        try
        {
            string? issuer = null;
            string? bundleCommand = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (bundleCommand is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                const string Banner = "Token issuer (OIDC discovery): ";
                if (line.StartsWith(Banner, StringComparison.Ordinal))
                {
                    issuer = line[Banner.Length..line.IndexOf("/.well-known/", StringComparison.Ordinal)];
                }
                else if (issuer is not null && line.TrimStart().StartsWith("kubectl --kubeconfig .sigil/kubeconfig get secret", StringComparison.Ordinal))
                {
                    bundleCommand = line.Trim();
                }
            }
            // The operator keeps logging to stdout; keep the pipe drained so it never blocks.
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            Assert.True(issuer is not null && bundleCommand is not null, "sigil local never printed the issuer and how to trust it");

            var bundle = await ProcessRunner.RunAsync("sh", ["-c", bundleCommand!.Replace("kubectl ", ToolCache.Kubectl132 + " ", StringComparison.Ordinal)], workingDirectory: folder);
            var keys = await ProcessRunner.RunAsync("curl", ["-sS", "--fail", "--cacert", "ca.crt", issuer + "/keys"], workingDirectory: folder);
            var discovery = await ProcessRunner.RunAsync("curl", ["-sS", "--fail", "--cacert", "ca.crt", issuer + "/.well-known/openid-configuration"], workingDirectory: folder);

            Assert.Matches(@"^https://127\.0\.0\.1:\d+$", issuer);
            Assert.True(bundle.ExitCode == 0, bundle.Output);
            Assert.True(keys.ExitCode == 0, keys.Output);
            Assert.True(discovery.ExitCode == 0, discovery.Output);
            var published = Issuer.StandaloneIssuer.Json(keys.Stdout).GetProperty("keys");
            Assert.NotEqual(0, published.GetArrayLength());
            Assert.All(published.EnumerateArray(), k => Assert.Equal("sig", k.GetProperty("use").GetString()));
            Assert.Equal(issuer, Issuer.StandaloneIssuer.Json(discovery.Stdout).GetProperty("issuer").GetString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
            Directory.Delete(folder, recursive: true);
        }
    }
}
