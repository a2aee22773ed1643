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
    private static string Dockerfile => ImageBuild.Dockerfile;

    private static string FinalStage => ImageBuild.FinalStage;

    [Fact]
    public async Task The_image_holds_one_native_executable_without_the_local_control_plane()
    {
        var image = await ImageBuild.GetAsync();
        var local = await ProcessRunner.RunAsync(image.Executable, ["local"], timeout: TimeSpan.FromMinutes(1));
        var version = await ProcessRunner.RunAsync(image.Executable, ["--version"], timeout: TimeSpan.FromMinutes(1));

        Assert.Contains("-p:PublishAot=true", ImageBuild.PublishArguments);
        Assert.Contains("-p:IncludeLocalControlPlane=false", ImageBuild.PublishArguments);
        Assert.Equal("/app/sigil", ImageBuild.Entrypoint);
        Assert.Equal(["sigil"], Directory.GetFiles(image.Folder).Select(Path.GetFileName));
        // Nothing the binary loads at run time is left behind by the final stage's COPY: only its debug symbols and the web
        // SDK's (empty) static assets manifest stay in the build stage.
        Assert.All(Directory.GetFiles(image.PublishFolder).Select(Path.GetFileName), f =>
            Assert.True(f is "sigil" or "sigil.dbg" or "publish.log" || f!.EndsWith(".staticwebassets.endpoints.json", StringComparison.Ordinal), $"{f} is published but not copied into the image"));
        Assert.Equal(2, local.ExitCode);
        Assert.Contains("no local control plane", local.Output, StringComparison.Ordinal);
        Assert.True(version.ExitCode == 0, version.Output);
    }

    [Fact]
    public void The_final_stage_is_a_small_runtime_image_running_as_a_non_root_user()
    {
        var user = UserLine().Match(FinalStage);

        Assert.Equal(2, Regex.Count(Dockerfile, @"^FROM ", RegexOptions.Multiline));
        // NativeAOT needs no .NET runtime in the image, only runtime-deps (libc, OpenSSL, CA roots).
        Assert.Contains("runtime-deps:10.0", FinalStage, StringComparison.Ordinal);
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

    [GeneratedRegex(@"^USER (?<uid>[^:\s]+)(:\S+)?\s*$", RegexOptions.Multiline)]
    private static partial Regex UserLine();

    [GeneratedRegex(@"^EXPOSE (?<ports>[0-9 ]+)$", RegexOptions.Multiline)]
    private static partial Regex ExposeLine();
}
