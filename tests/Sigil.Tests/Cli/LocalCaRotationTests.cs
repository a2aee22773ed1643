using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary>
/// A whole CA rotation of <c>sigil local</c>, watched from outside as a user would: kubectl reads what Sigil wrote and
/// openssl (a consumer we did not write) verifies every leaf against every trust bundle, every 3 seconds, from the
/// first CA until the old one has left the bundles.
/// </summary>
public sealed class LocalCaRotationTests
{
    private const string Identities = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: rot-a}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: rot-b}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: web, namespace: rot-a}
        spec: {x509: {ttl: 1m, keyAlgorithm: ECDSAP256}}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: api, namespace: rot-a}
        spec: {x509: {ttl: 1m, keyAlgorithm: Ed25519}}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: db, namespace: rot-b}
        spec: {x509: {ttl: 1m, keyAlgorithm: RSA2048}}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: cache, namespace: rot-b}
        spec: {x509: {ttl: 1m, keyAlgorithm: ECDSAP256}}
        """;

    private static readonly string[] Namespaces = ["rot-a", "rot-b"];

    /// <summary>One look at the cluster: what every bundle held and who signed every leaf.</summary>
    private sealed record Sample(TimeSpan At, IReadOnlyDictionary<string, IReadOnlyList<string>> CasPerBundle, IReadOnlyDictionary<string, long> SequencePerBundle,
        IReadOnlyDictionary<string, string> IssuerPerLeaf, IReadOnlyList<string> CasInSecrets, int Failures);

    [Fact]
    [Trait("Duration", "Long")]
    public async Task Every_leaf_verifies_with_openssl_against_every_bundle_through_a_whole_CA_rotation_of_sigil_local()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-ca-rotation-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        // --ca-ttl 6m: the first CA is prepared, activated and dropped within about eight minutes of the start.
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--ca-ttl", "6m", "--bundle-propagation", "30s",
            "--metrics-port", "0", "--health-port", "0"], workingDirectory: folder);
        var started = Stopwatch.StartNew();
        var log = new List<string>();
        var output = TestContext.Current.TestOutputHelper;
        try
        {
            while (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
            }
            // The operator logs for minutes: drain its output, or it blocks on a full pipe.
            var drained = Task.WhenAll(Drain(process.StandardOutput, log), Drain(process.StandardError, log));
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");
            async Task<ProcessResult> Kubectl(params string[] args) => await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, .. args]);
            await File.WriteAllTextAsync(Path.Combine(folder, "identities.yaml"), Identities);
            var applied = await Kubectl("apply", "-f", Path.Combine(folder, "identities.yaml"));
            Assert.True(applied.ExitCode == 0, applied.Output);
            foreach (var ns in Namespaces)
            {
                var ready = await Kubectl("wait", "sid", "--all", "-n", ns, "--for=condition=Ready", "--timeout=60s");
                Assert.True(ready.ExitCode == 0, ready.Output);
            }

            string Stopped()
            {
                lock (log)
                {
                    return $"sigil local exited with {process.ExitCode} after {started.Elapsed.TotalSeconds:F0} s; it printed last:\n{string.Join('\n', log.TakeLast(40))}";
                }
            }
            var samples = new List<Sample>();
            var failures = new List<string>();
            string? yamlWithTwoCas = null;
            var deadline = TimeSpan.FromMinutes(8.75);
            while (started.Elapsed < deadline)
            {
                var next = started.Elapsed + TimeSpan.FromSeconds(3);
                if (process.HasExited)
                {
                    Assert.Fail(Stopped());
                }
                Sample sample;
                try
                {
                    sample = await SampleAsync(folder, Kubectl, started.Elapsed, failures);
                }
                catch (Exception e) when (e is not OperationCanceledException && process.WaitForExit(2_000))
                {
                    throw new Xunit.Sdk.XunitException(Stopped(), e);
                }
                samples.Add(sample);
                output?.WriteLine($"{sample.At.TotalSeconds,6:F0}s CAs {string.Join(' ', sample.CasPerBundle.Select(b => $"{b.Key}={b.Value.Count}"))} "
                    + $"seq {string.Join(' ', sample.SequencePerBundle.Values.Distinct())} issuers {string.Join(", ", sample.IssuerPerLeaf.Values.Distinct())} failures {sample.Failures}");
                if (yamlWithTwoCas is null && sample.CasPerBundle[Namespaces[0]].Count == 2)
                {
                    yamlWithTwoCas = (await Kubectl("get", "cm", "sigil-trust-bundle", "-n", Namespaces[0], "-o", "yaml")).Stdout;
                }
                if (RotationFinished(samples))
                {
                    break;
                }
                if (next > started.Elapsed)
                {
                    await Task.Delay(next - started.Elapsed, TestContext.Current.CancellationToken);
                }
            }

            List<string> caLog;
            lock (log)
            {
                caLog = [.. log.Where(l => l.Contains("CA ", StringComparison.Ordinal))];
            }
            var evidence = $"\nCA log:\n{string.Join('\n', caLog)}\nfailures:\n{string.Join('\n', failures.Take(20))}";
            Assert.True(failures.Count == 0, $"{failures.Count} verification failures over {samples.Count} samples{evidence}");
            // The first CA signed every leaf; its successor is the other CA of the first two-CA bundle.
            var original = Assert.Single(samples[0].IssuerPerLeaf.Values.Distinct());
            var successor = samples.SelectMany(s => s.CasPerBundle.Values).First(cas => cas.Count == 2).Single(ca => ca != original);
            foreach (var ns in Namespaces)
            {
                var counts = Collapse(samples.Select(s => s.CasPerBundle[ns].Count));
                var timeline = $"CAs in {ns}'s bundle went {string.Join(" -> ", counts)}{evidence}";
                // 1 -> 2 (the next CA prepared beside the first) -> ... -> the first CA dropped. With --ca-ttl 6m the CA after
                // next is prepared (half its successor's lifetime) before the first is dropped (a sixth of a lifetime after
                // it expired), so a bundle may briefly hold three and ends with two; see PRODUCT.md's schedule.
                Assert.True(counts.Take(2).SequenceEqual([1, 2]) && counts.All(c => c is >= 1 and <= 3), timeline);
                Assert.True(samples[^1].CasPerBundle[ns].Contains(successor) && !samples[^1].CasPerBundle[ns].Contains(original), timeline);
                var sequences = samples.Select(s => s.SequencePerBundle[ns]).ToList();
                Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second >= p.First), $"spiffe_sequence in {ns} went back: {string.Join(", ", sequences.Distinct())}");
                Assert.True(sequences[^1] > sequences[0], $"spiffe_sequence in {ns} never grew: {string.Join(", ", sequences.Distinct())}");
            }
            Assert.DoesNotContain(original, samples[^1].CasInSecrets);
            Assert.NotNull(yamlWithTwoCas);
            Assert.Equal(2, CountCertificates(yamlWithTwoCas));
            Assert.Equal(4, samples[^1].IssuerPerLeaf.Count);
            Assert.All(samples[^1].IssuerPerLeaf.Values, issuer => Assert.Equal(successor, issuer));
            output?.WriteLine($"{samples.Count} samples in {started.Elapsed.TotalSeconds:F0} s, every leaf checked against {4 + Namespaces.Length} bundles each time");
            Stop(process);
            await drained;
        }
        finally
        {
            Stop(process);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Reads every SVID Secret and trust bundle with one kubectl call each, then runs one openssl verify per bundle over
    /// all leaves: each leaf against its own ca.crt, every other SVID Secret's ca.crt and every namespace's bundle.
    /// </summary>
    private static async Task<Sample> SampleAsync(string folder, Func<string[], Task<ProcessResult>> kubectl, TimeSpan at, List<string> failures)
    {
        var secretsRead = await kubectl(["get", "secrets", "-A", "-l", "sigil.dev/identity", "-o", "json"]);
        var mapsRead = await kubectl(["get", "configmaps", "-A", "--field-selector", "metadata.name=sigil-trust-bundle", "-o", "json"]);
        Assert.True(secretsRead.ExitCode == 0, secretsRead.Output);
        Assert.True(mapsRead.ExitCode == 0, mapsRead.Output);
        var dir = Directory.CreateDirectory(Path.Combine(folder, "sample")).FullName;
        var leaves = new List<string>();
        var bundles = new Dictionary<string, string>(StringComparer.Ordinal);
        var issuers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var secret in JsonNode.Parse(secretsRead.Stdout)!["items"]!.AsArray().Where(s => (string?)s!["type"] == "kubernetes.io/tls"))
        {
            var name = $"{secret!["metadata"]!["namespace"]}.{secret["metadata"]!["name"]}";
            var tls = Text(secret["data"]!, "tls.crt");
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(tls);
            // The leaf alone, so openssl must find its issuer in the bundle under test (a chain, if any, goes to -untrusted).
            await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.leaf.pem"), chain[0].ExportCertificatePem() + "\n");
            await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.chain.pem"), string.Concat(chain.Skip(1).Select(c => c.ExportCertificatePem() + "\n")));
            leaves.Add(name);
            bundles[$"secret {name}"] = Text(secret["data"]!, "ca.crt");
            issuers[name] = chain[0].Issuer;
        }
        var cas = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var sequences = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var map in JsonNode.Parse(mapsRead.Stdout)!["items"]!.AsArray().Where(m => Namespaces.Contains((string?)m!["metadata"]!["namespace"])))
        {
            var ns = (string)map!["metadata"]!["namespace"]!;
            var pem = (string)map["data"]!["ca.crt"]!;
            bundles[$"bundle {ns}"] = pem;
            cas[ns] = Subjects(pem);
            sequences[ns] = (long)JsonNode.Parse((string)map["data"]!["bundle.spiffe"]!)!["spiffe_sequence"]!;
        }
        Assert.Equal(4, leaves.Count);
        Assert.Equal(Namespaces.Length, cas.Count);
        var failed = 0;
        var n = 0;
        foreach (var (bundleName, pem) in bundles)
        {
            var caFile = Path.Combine(dir, $"ca-{n++}.pem");
            await File.WriteAllTextAsync(caFile, pem);
            // One openssl call for every leaf without intermediates (each answers "<file>: OK" or an error), one per leaf with them.
            var calls = leaves.GroupBy(l => new FileInfo(Path.Combine(dir, $"{l}.chain.pem")).Length > 0 ? l : "").SelectMany(g => g.Key == "" ? [g.ToList()] : g.Select(l => new List<string> { l }));
            foreach (var group in calls)
            {
                var chainFile = Path.Combine(dir, $"{group[0]}.chain.pem");
                string[] chainArgs = new FileInfo(chainFile).Length > 0 ? ["-untrusted", chainFile] : [];
                var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", caFile, .. chainArgs, .. group.Select(l => $"{l}.leaf.pem")], workingDirectory: dir);
                var ok = verify.Stdout.Split('\n').Where(l => l.EndsWith(": OK", StringComparison.Ordinal)).Select(l => l[..^": OK".Length]).ToHashSet(StringComparer.Ordinal);
                foreach (var leaf in group.Where(l => !ok.Contains($"{l}.leaf.pem")))
                {
                    failed++;
                    failures.Add($"{at.TotalSeconds:F0}s: {leaf} (issuer {issuers[leaf]}) did not verify against {bundleName} ({CountCertificates(pem)} CAs): {verify.Output.Trim()}");
                }
            }
        }
        var inSecrets = bundles.Where(b => b.Key.StartsWith("secret ", StringComparison.Ordinal)).SelectMany(b => Subjects(b.Value)).Distinct().ToList();
        return new Sample(at, cas, sequences, issuers, inSecrets, failed);
    }

    /// <summary>Done when the CA that signed the first leaves has left every bundle and every Secret's ca.crt.</summary>
    private static bool RotationFinished(List<Sample> samples)
    {
        var original = samples[0].IssuerPerLeaf.Values.First();
        return samples.Any(s => s.CasPerBundle.Values.Any(cas => cas.Count > 1))
            && !samples[^1].CasInSecrets.Contains(original) && samples[^1].CasPerBundle.Values.All(cas => !cas.Contains(original));
    }

    private static List<string> Subjects(string pem)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(pem);
        return [.. all.Select(c => c.Subject)];
    }

    private static List<int> Collapse(IEnumerable<int> values)
    {
        var collapsed = new List<int>();
        foreach (var v in values)
        {
            if (collapsed.Count == 0 || collapsed[^1] != v)
            {
                collapsed.Add(v);
            }
        }
        return collapsed;
    }

    private static int CountCertificates(string text)
    {
        var count = 0;
        for (var i = text.IndexOf("BEGIN CERTIFICATE", StringComparison.Ordinal); i >= 0; i = text.IndexOf("BEGIN CERTIFICATE", i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static string Text(JsonNode data, string key) => Encoding.ASCII.GetString(Convert.FromBase64String((string)data[key]!));

    private static async Task Drain(StreamReader reader, List<string> into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.Add(line);
            }
        }
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }
}
