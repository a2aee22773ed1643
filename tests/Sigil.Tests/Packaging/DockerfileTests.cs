using System.Text.RegularExpressions;
using Sigil.Tests.Charts;
using Sigil.Tests.Support;

namespace Sigil.Tests.Packaging;

/// <summary>
/// What can be checked of the image without a Docker daemon: the entrypoint exists in the publish output,
/// the final stage runs as a non-root user, and the ports it exposes are the chart's.
/// </summary>
public sealed partial class DockerfileTests
{
    private static string Dockerfile => File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile"));

    private static string FinalStage => Dockerfile[Dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

    [Fact]
    public async Task The_image_publishes_the_entrypoint_without_the_local_control_plane()
    {
        var output = Directory.CreateTempSubdirectory("sigil-publish-").FullName;
        try
        {
            // The Dockerfile's own publish flags, so the test publishes what the image would hold.
            var flags = PublishFlags().Matches(Dockerfile).Select(m => m.Value).ToList();
            // Its own bin/obj (--artifacts-path): restoring without the emulator into operator/obj would leave a graph other
            // builds of the tree then read.
            var publish = await ProcessRunner.RunAsync("dotnet", ["publish", Path.Combine(Repository.Root, "operator", "Sigil.csproj"), "-c", "Release", "-o", output,
                "--artifacts-path", Path.Combine(output, ".artifacts"), "--nologo", .. flags], timeout: TimeSpan.FromMinutes(5));
            var entrypoint = EntrypointAssembly().Match(FinalStage).Groups["dll"].Value;
            Assert.True(publish.ExitCode == 0, publish.Output);
            var local = await ProcessRunner.RunAsync("dotnet", [Path.Combine(output, entrypoint), "local"], timeout: TimeSpan.FromMinutes(1));

            Assert.Contains("-p:IncludeLocalControlPlane=false", flags);
            Assert.Equal("sigil.dll", entrypoint);
            Assert.True(File.Exists(Path.Combine(output, entrypoint)));
            Assert.True(File.Exists(Path.Combine(output, "sigil.runtimeconfig.json")));
            Assert.False(File.Exists(Path.Combine(output, "Sigil.LocalControlPlane.dll")), "the production publish leaves the emulator out");
            Assert.DoesNotContain("Sigil.LocalControlPlane", File.ReadAllText(Path.Combine(output, "sigil.deps.json")), StringComparison.Ordinal);
            Assert.Equal(2, local.ExitCode);
            Assert.Contains("no local control plane", local.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void The_final_stage_is_a_small_runtime_image_running_as_a_non_root_user()
    {
        var user = UserLine().Match(FinalStage);

        Assert.Equal(2, Regex.Count(Dockerfile, @"^FROM ", RegexOptions.Multiline));
        Assert.Contains("aspnet:10.0", FinalStage, StringComparison.Ordinal);
        Assert.Contains("chiseled", FinalStage, StringComparison.Ordinal);
        Assert.DoesNotContain("RUN ", FinalStage, StringComparison.Ordinal);
        Assert.True(user.Success, "the final stage sets USER");
        Assert.NotEqual("0", user.Groups["uid"].Value);
        Assert.NotEqual("root", user.Groups["uid"].Value);
    }

    [Fact]
    public async Task The_image_exposes_the_ports_the_chart_uses()
    {
        var exposed = ExposeLine().Match(FinalStage).Groups["ports"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Order().ToList();
        var container = (await ChartRendering.RenderAsync()).Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var chartPorts = container["ports"]!.AsArray().Select(p => int.Parse(p!["containerPort"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        var runAsUser = (await ChartRendering.RenderAsync()).Single("Deployment")["spec"]!["template"]!["spec"]!["securityContext"]!["runAsUser"]!.ToString();

        Assert.Equal(chartPorts, exposed);
        Assert.Equal(UserLine().Match(FinalStage).Groups["uid"].Value, runAsUser);
    }

    [Fact]
    public void The_build_context_leaves_out_what_the_image_does_not_need()
    {
        var ignored = File.ReadAllLines(Path.Combine(Repository.Root, ".dockerignore"));

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".git/", ignored);
        Assert.Contains("tests/", ignored);
    }

    [GeneratedRegex(@"-p:\w+=\w+")]
    private static partial Regex PublishFlags();

    [GeneratedRegex("""ENTRYPOINT \["dotnet", "/app/(?<dll>[^"]+)"\]""")]
    private static partial Regex EntrypointAssembly();

    [GeneratedRegex(@"^USER (?<uid>[^:\s]+)(:\S+)?\s*$", RegexOptions.Multiline)]
    private static partial Regex UserLine();

    [GeneratedRegex(@"^EXPOSE (?<ports>[0-9 ]+)$", RegexOptions.Multiline)]
    private static partial Regex ExposeLine();
}
