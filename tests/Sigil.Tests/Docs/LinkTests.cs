using System.Text.RegularExpressions;
using Sigil.Tests.Support;

namespace Sigil.Tests.Docs;

/// <summary>
/// README.md and docs/*.md link only inside the repository, to files that exist, and to anchors their targets have: a clone
/// is all a reader has (no PRODUCT.md beside it, no network).
/// </summary>
public sealed partial class LinkTests
{
    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string> { "README.md" };
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Order())
        {
            pages.Add(Path.GetRelativePath(Repository.Root, file).Replace('\\', '/'));
        }
        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_link_is_a_path_inside_the_repository_to_something_that_exists(string page)
    {
        var file = Path.Combine(Repository.Root, page);
        var problems = Problems(file, await File.ReadAllTextAsync(file)).ToList();

        Assert.True(problems.Count == 0, $"{page}:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void The_check_finds_links_that_leave_the_repository_or_lead_nowhere()
    {
        var readme = Path.Combine(Repository.Root, "README.md");
        const string Page = """
            [product](../shared/PRODUCT.md) [site](https://example.com/docs) [mail](mailto:a@example.com)
            [gone](docs/missing.md) [no anchor](docs/runbooks.md#nosuchalert) [fine](docs/runbooks.md#sigilnoleader)
            [dir](crds/) [readme](README.md#the-two-commands) [self](#links) [nowhere here](#the-two-commands) `[code](https://example.com)`
            ## Links
            """;

        var problems = Problems(readme, Page).ToList();

        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("../shared/PRODUCT.md", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("https://example.com/docs", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("mailto:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("docs/missing.md", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("#nosuchalert", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("#the-two-commands", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_reference_pages_exist_and_README_leads_to_them()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        foreach (var page in new[] { "api.md", "secrets.md", "metrics.md", "rotation.md", "runbooks.md" })
        {
            Assert.True(File.Exists(Path.Combine(Repository.Root, "docs", page)), $"docs/{page} is missing");
            Assert.Contains($"docs/{page}", Markdown.Links(readme));
        }
    }

    private static IEnumerable<string> Problems(string file, string markdown)
    {
        var root = Path.GetFullPath(Repository.Root) + Path.DirectorySeparatorChar;
        foreach (var link in Markdown.Links(markdown))
        {
            if (SchemePattern().IsMatch(link) || link.StartsWith("//", StringComparison.Ordinal))
            {
                yield return $"{link}: leaves the repository (a clone has only its own files)";
                continue;
            }
            var hash = link.IndexOf('#');
            var (path, anchor) = hash < 0 ? (link, null) : (link[..hash], link[(hash + 1)..]);
            var target = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(path)));
            if (!target.StartsWith(root, StringComparison.Ordinal) && target + Path.DirectorySeparatorChar != root)
            {
                yield return $"{link}: outside the repository";
            }
            else if (!File.Exists(target) && !Directory.Exists(target))
            {
                yield return $"{link}: no such file or folder";
            }
            else if (anchor is not null && !(File.Exists(target) && target.EndsWith(".md", StringComparison.Ordinal)
                && Markdown.Anchors(path.Length == 0 ? markdown : File.ReadAllText(target)).Contains(anchor)))
            {
                yield return $"{link}: no heading with anchor #{anchor} there";
            }
        }
    }

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex SchemePattern();
}
