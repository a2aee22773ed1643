using System.Text.RegularExpressions;

namespace Sigil.Tests.Support;

/// <summary>What the docs tests read of a Markdown file: its headings' anchors (as GitHub makes them) and its links.</summary>
internal static partial class Markdown
{
    /// <summary>GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }
            if (inFence || HeadingPattern().Match(line) is not { Success: true } heading)
            {
                continue;
            }
            var slug = Slug(heading.Groups[1].Value);
            var candidate = slug;
            for (var n = 1; !anchors.Add(candidate); n++)
            {
                candidate = $"{slug}-{n}";
            }
        }
        return anchors;
    }

    public static string Slug(string heading) =>
        NotSlugPattern().Replace(heading.Trim().ToLowerInvariant().Replace("`", "", StringComparison.Ordinal), "").Replace(' ', '-');

    /// <summary>Targets of inline links and images, <c>[text](target)</c>, outside code fences and code spans.</summary>
    public static IEnumerable<string> Links(string markdown)
    {
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }
            if (inFence)
            {
                continue;
            }
            foreach (Match link in LinkPattern().Matches(CodeSpanPattern().Replace(line, "")))
            {
                yield return link.Groups[1].Value;
            }
        }
    }

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\- _]")]
    private static partial Regex NotSlugPattern();

    [GeneratedRegex(@"\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpanPattern();
}
