using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sigil.Client.ApiKeys;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.Docs;

/// <summary>
/// README "API keys and HMAC secrets" is read from README.md itself, so the page cannot drift from the library: its C#
/// snippets compile against Sigil.Client and Sigil.AspNetCore, and its definition of the HMAC string to sign, which
/// other languages implement from the prose, gives the library's signatures.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    private static string Section()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("## API keys and HMAC secrets", StringComparison.Ordinal);
        return readme[start..readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal)];
    }

    [Fact]
    public void The_sections_CSharp_snippets_compile_against_the_library()
    {
        var snippets = CSharpFence().Matches(Section()).Select(m => m.Groups[1].Value).ToList();
        var lines = snippets.SelectMany(s => s.Split('\n')).ToList();
        // The snippets are fragments of one program (with a web project's implicit usings): these are the values they take
        // from around them.
        var source = string.Join('\n', lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)).Distinct()) + """

            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Linq;
            using System.Net.Http;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.Extensions.DependencyInjection;
            using Sigil.AspNetCore;
            string presentedKey = "";
            byte[] body = [];
            using var request = new System.Net.Http.HttpRequestMessage();
            var builder = WebApplication.CreateBuilder();

            """ + string.Join('\n', lines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal)));

        var errors = Compile(source);

        Assert.True(snippets.Count >= 2, "the section has lost its C# snippets");
        Assert.True(errors.Count == 0, "README snippets do not compile:\n" + string.Join('\n', errors) + "\n---\n" + source);
    }

    [Fact]
    public void The_documented_string_to_sign_gives_the_librarys_signature_with_and_without_a_nonce()
    {
        var templates = StringToSign().Matches(Section()).Select(m => m.Groups[1].Value).Distinct().ToList();
        var withNonce = Assert.Single(templates, t => t.Contains("NONCE", StringComparison.Ordinal));
        var withoutNonce = Assert.Single(templates, t => !t.Contains("NONCE", StringComparison.Ordinal));
        var (secret, method, target, timestamp, nonce) = ("s3cr3t-base62", "POST", "/orders?x=1&y=a%20b", 1764554023L, "bm9uY2Utb25l");
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData("{\"order\":42}"u8));

        string Documented(string template) => System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(template.Replace("\\n", "\n", StringComparison.Ordinal).Replace("METHOD", method, StringComparison.Ordinal)
                .Replace("PATH?QUERY", target, StringComparison.Ordinal).Replace("TIMESTAMP", timestamp.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("NONCE", nonce, StringComparison.Ordinal).Replace("hex(SHA-256(body))", bodyHash, StringComparison.Ordinal))));

        Assert.Equal(Documented(withNonce), HmacSignature.Sign(secret, method, target, timestamp, bodyHash, nonce));
        Assert.Equal(Documented(withoutNonce), HmacSignature.Sign(secret, method, target, timestamp, bodyHash));
    }

    private static List<string> Compile(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat([typeof(VerifierKeys).Assembly.Location, typeof(Sigil.AspNetCore.SigilAuthenticationDefaults).Assembly.Location])
            .Distinct()
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("ReadmeSnippets",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        return [.. compilation.Emit(output).Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpFence();

    [GeneratedRegex("`(METHOD\\\\n[^`]+)`")]
    private static partial Regex StringToSign();
}
