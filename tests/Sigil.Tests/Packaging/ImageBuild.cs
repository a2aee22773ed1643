using System.Text.RegularExpressions;
using Sigil.Tests.Support;

namespace Sigil.Tests.Packaging;

/// <summary>The operator program as the image holds it, from the Dockerfile's own publish line.</summary>
internal sealed record PublishedImage(string Folder, string Executable, ProcessResult Publish, string PublishFolder);

/// <summary>
/// Publishes the operator once per test run exactly as the Dockerfile's build stage does (its <c>dotnet publish</c> line,
/// for this machine's architecture), so the tests run the binary the image ships: a NativeAOT executable without the
/// local control plane. A NativeAOT publish takes minutes on two cores; every test that needs the binary shares this one.
/// </summary>
internal static partial class ImageBuild
{
    private static readonly Lazy<Task<PublishedImage>> Published = new(PublishAsync);

    public static string Dockerfile => File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile"));

    public static string FinalStage => Dockerfile[Dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

    /// <summary>The arguments after <c>dotnet publish</c> in the build stage, continuation lines joined.</summary>
    public static IReadOnlyList<string> PublishArguments =>
        PublishLine().Match(Dockerfile).Groups["args"].Value.Replace("\\\n", " ", StringComparison.Ordinal)
            .Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The entrypoint's path in the image, e.g. <c>/app/sigil</c>.</summary>
    public static string Entrypoint => EntrypointLine().Match(FinalStage).Groups["exe"].Value;

    /// <summary>The files the final stage copies from the build stage's /app.</summary>
    public static IReadOnlyList<string> CopiedFiles => [.. CopyLine().Matches(FinalStage).Select(m => m.Groups["file"].Value)];

    /// <summary>The final stage's ENV (GC settings), so a test runs the binary as the image does.</summary>
    public static IReadOnlyDictionary<string, string> RuntimeEnvironment =>
        EnvironmentVariable().Matches(FinalStage).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

    public static Task<PublishedImage> GetAsync() => Published.Value;

    private static async Task<PublishedImage> PublishAsync()
    {
        // SIGIL_TEST_PUBLISHED=<folder> reuses a publish of the Dockerfile's line made by hand (its output, and what it
        // printed in publish.log there) while working on these tests; CI always publishes.
        var (output, publish) = Environment.GetEnvironmentVariable("SIGIL_TEST_PUBLISHED") is { Length: > 0 } published
            ? (published, new ProcessResult(0, await File.ReadAllTextAsync(Path.Combine(published, "publish.log")), ""))
            : await PublishHereAsync();
        // What the final stage copies, alone in a folder, as the image holds it.
        var image = Path.Combine(output, "image");
        if (Directory.Exists(image))
        {
            Directory.Delete(image, recursive: true);
        }
        Directory.CreateDirectory(image);
        foreach (var file in CopiedFiles)
        {
            File.Copy(Path.Combine(output, file), Path.Combine(image, file));
        }
        return new PublishedImage(image, Path.Combine(image, Path.GetFileName(Entrypoint)), publish, output);
    }

    private static async Task<(string Output, ProcessResult Publish)> PublishHereAsync()
    {
        var output = Directory.CreateTempSubdirectory("sigil-image-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        };
        var arguments = PublishArguments.ToList();
        // The image writes to /app; here a folder of our own. Its own bin/obj (--artifacts-path): restoring without the
        // emulator into operator/obj would leave a graph other builds of the tree then read.
        arguments[arguments.IndexOf("-o") + 1] = output;
        arguments[arguments.IndexOf("operator/Sigil.csproj")] = Path.Combine(Repository.Root, "operator", "Sigil.csproj");
        arguments.AddRange(["--artifacts-path", Path.Combine(output, ".artifacts")]);
        // The SDK's -aot image has `clang`; Debian's clang package names it clang-14. The compiler's name is the only
        // difference from the image's build.
        if (ToolCache.FindOnPath("clang") is null && ToolCache.FindOnPath("clang-14") is not null)
        {
            arguments.Add("-p:CppCompilerAndLinker=clang-14");
        }
        var publish = await ProcessRunner.RunAsync("dotnet", ["publish", .. arguments], timeout: TimeSpan.FromMinutes(25));
        Assert.True(publish.ExitCode == 0, $"dotnet publish {string.Join(' ', arguments)} failed:\n{publish.Output}");
        Directory.Delete(Path.Combine(output, ".artifacts"), recursive: true);
        return (output, publish);
    }

    [GeneratedRegex(@"^RUN dotnet publish (?<args>(?:[^\n]*\\\n)*[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex PublishLine();

    [GeneratedRegex("""ENTRYPOINT \["(?<exe>[^"]+)"\]""")]
    private static partial Regex EntrypointLine();

    [GeneratedRegex(@"^COPY --from=build /app/(?<file>[^\s/]+) \./$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();

    [GeneratedRegex(@"(?<name>DOTNET_\w+)=(?<value>\S+)")]
    private static partial Regex EnvironmentVariable();
}
