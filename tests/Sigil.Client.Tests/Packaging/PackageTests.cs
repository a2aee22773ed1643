using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Packaging;

/// <summary>
/// Issue #11's "done when": <c>dotnet pack</c> makes both packages, each with its README, XML docs and source link, and a
/// fresh console project restores them from the packed folder, builds and runs.
/// </summary>
public sealed partial class PackageTests
{
    private static readonly string[] Packages = ["Sigil.Client", "Sigil.AspNetCore"];

    [Fact]
    public async Task Both_packages_pack_with_docs_and_source_link_and_a_fresh_console_project_uses_them()
    {
        var work = Directory.CreateTempSubdirectory("sigil-pack-");
        try
        {
            var feed = Path.Combine(work.FullName, "packages");
            var version = PackageVersion();
            foreach (var package in Packages)
            {
                await Dotnet(Repository.Root, "pack", Path.Combine(Repository.Root, "clients", "dotnet", package), "-c", "Release", "-o", feed);
            }

            foreach (var package in Packages)
            {
                var nupkg = Path.Combine(feed, $"{package}.{version}.nupkg");
                Assert.True(File.Exists(nupkg), $"dotnet pack made no {nupkg}; the folder holds: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
                Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"no symbol package beside {nupkg}");
                using var zip = ZipFile.OpenRead(nupkg);
                var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("README.md", entries);
                Assert.Contains($"lib/net10.0/{package}.dll", entries);
                Assert.Contains($"lib/net10.0/{package}.xml", entries);

                var nuspec = XDocument.Load(zip.GetEntry($"{package}.nuspec")!.Open());
                var ns = nuspec.Root!.Name.Namespace;
                var metadata = nuspec.Root.Element(ns + "metadata")!;
                Assert.Equal(version, metadata.Element(ns + "version")!.Value);
                Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
                var repository = metadata.Element(ns + "repository")!;
                Assert.Equal("git", repository.Attribute("type")!.Value);
                Assert.StartsWith("https://", repository.Attribute("url")!.Value, StringComparison.Ordinal);
                Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);
            }

            var app = Path.Combine(work.FullName, "app");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), NuGetConfig(feed, await MachineSourcesAsync(), Path.Combine(work.FullName, "cache")));
            await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Sigil.Client" Version="{version}" />
                    <PackageReference Include="Sigil.AspNetCore" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                var id = Sigil.Client.SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments");
                Console.WriteLine($"{id.TrustDomain} {id.Path} {Sigil.AspNetCore.SigilAuthenticationDefaults.ApiKeyScheme}");
                """);

            var run = await Dotnet(app, "run");

            Assert.Contains("cluster.local /ns/shop/sa/payments SigilApiKey", run, StringComparison.Ordinal);
            Assert.True(Directory.Exists(Path.Combine(work.FullName, "cache", "sigil.aspnetcore", version)), "the console project did not restore Sigil.AspNetCore from the packed folder");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The version every package gets, from clients/dotnet/Directory.Build.props.</summary>
    private static string PackageVersion()
    {
        var props = XDocument.Load(Path.Combine(Repository.Root, "clients", "dotnet", "Directory.Build.props"));
        return props.Descendants("Version").Single().Value;
    }

    /// <summary>The packed folder, then the sources this machine restores from (a mirror, or nuget.org).</summary>
    private static async Task<IReadOnlyList<string>> MachineSourcesAsync()
    {
        var listed = await Dotnet(Path.GetTempPath(), "nuget", "list", "source", "--format", "Short");
        return [.. EnabledSource().Matches(listed).Select(m => m.Groups[1].Value.Trim())];
    }

    /// <summary>
    /// The packed folder first, then the machine's sources. Sigil's packages unpack into a cache of the test's own (a
    /// re-pack with the same version must never be read from a stale global cache), while every other package comes
    /// from the global cache as a fallback folder, so nothing is downloaded again.
    /// </summary>
    private static string NuGetConfig(string feed, IReadOnlyList<string> machineSources, string cache)
    {
        var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var sources = machineSources.Select((s, i) => new XElement("add", new XAttribute("key", $"machine{i}"), new XAttribute("value", s)));
        return new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", cache))),
            new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "global"), new XAttribute("value", global))),
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "packed"), new XAttribute("value", feed)), sources))).ToString();
    }

    private static async Task<string> Dotnet(string directory, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", arguments, workingDirectory: directory,
            environment: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.Output}");
        return result.Stdout;
    }

    [GeneratedRegex(@"^\s*E\s+(\S.*)$", RegexOptions.Multiline)]
    private static partial Regex EnabledSource();
}
