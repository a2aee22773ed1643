using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary>
/// <c>sigil local --bundle-propagation 20s</c> as a process, watched through kubectl once a second across manual
/// rotations, as a pod on a slow kubelet would see it: what the caller's Secret presents always verifies against the
/// receiver's keys.json, and each new key sits in keys.json for the propagation time before the caller presents it.
/// </summary>
public sealed class LocalCommandKeyPropagationTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan SamplingTolerance = TimeSpan.FromSeconds(1);
    private const int Rotations = 3;
    private static readonly string[] CallerSecrets = ["payments-orders-apikey", "payments-signing-apikey"];

    private const string Identities = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: orders, namespace: shop}
        spec:
          acceptsFrom: [{serviceIdentity: payments}]
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: payments, namespace: shop}
        spec:
          apiKeys:
            - {name: orders, audience: orders, type: Bearer, rotation: {every: 720h, gracePeriod: 25s}}
            - {name: signing, audience: orders, type: HMACSHA256, rotation: {every: 720h, gracePeriod: 25s}}
        """;

    /// <summary>What a caller Secret presents (never printed: records print key ids only).</summary>
    private sealed record Presented(string KeyId, string ApiKey, string? HmacSecret)
    {
        public override string ToString() => $"Presented {{ KeyId = {KeyId} }}";
    }

    /// <summary>One look through kubectl: what each caller Secret presents and what keys.json holds.</summary>
    private sealed record Sample(DateTimeOffset At, Dictionary<string, Presented> Presented, List<JsonObject> KeysJson, bool Ready);

    [Fact]
    public async Task Sigil_local_puts_each_new_key_in_keys_json_for_the_bundle_propagation_time_before_the_caller_presents_it()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-keys-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--metrics-port", "0", "--health-port", "0", "--bundle-propagation", "20s"],
            workingDirectory: folder);
        try
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line && !line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
            {
            }
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");
            async Task<ProcessResult> Kubectl(params string[] args) => await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, .. args]);
            var samples = new List<Sample>();
            var nextSample = DateTimeOffset.UtcNow;
            async Task<Sample> SampleAsync()
            {
                var delay = nextSample - DateTimeOffset.UtcNow;
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay);
                }
                nextSample += TimeSpan.FromSeconds(1);
                var started = DateTimeOffset.UtcNow;
                var got = await Kubectl(["get", .. CallerSecrets.Select(s => $"secret/{s}"), "secret/orders-verifiers", "sid/payments", "-n", "shop",
                    "--ignore-not-found", "-o", "json"]);
                var sample = Parse(started + (DateTimeOffset.UtcNow - started) / 2, got);
                samples.Add(sample);
                return sample;
            }

            File.WriteAllText(Path.Combine(folder, "identities.yaml"), Identities);
            var applied = await Kubectl("apply", "-f", Path.Combine(folder, "identities.yaml"));
            Assert.True(applied.ExitCode == 0, applied.Output);
            var last = await SampleUntilAsync(SampleAsync, s => s.Presented.Count == CallerSecrets.Length && s.Ready, TimeSpan.FromSeconds(30), "the first keys were never issued");

            for (var rotation = 1; rotation <= Rotations; rotation++)
            {
                var before = last.Presented;
                var annotated = await Kubectl("annotate", "sid", "payments", "-n", "shop", $"sigil.dev/rotate={rotation}", "--overwrite");
                Assert.True(annotated.ExitCode == 0, annotated.Output);
                last = await SampleUntilAsync(SampleAsync, s => CallerSecrets.All(c => s.Presented.TryGetValue(c, out var p) && p.KeyId != before[c].KeyId),
                    Propagation + TimeSpan.FromSeconds(40), $"rotation {rotation} never completed");
            }
            // A few more looks, so the key retired by the last-but-one rotation is seen leaving keys.json at its notAfter.
            var end = last.At + TimeSpan.FromSeconds(8);
            while (DateTimeOffset.UtcNow < end)
            {
                await SampleAsync();
            }

            var watched = samples.SkipWhile(s => s.Presented.Count < CallerSecrets.Length).ToList();
            Assert.All(watched, s => Assert.True(s.Ready, $"payments was not Ready at {s.At:O}"));
            foreach (var caller in CallerSecrets)
            {
                // At every look, the key the caller presents verifies against keys.json as a receiver checks it.
                Assert.All(watched, s => Assert.True(Verifies(s.KeysJson, s.Presented[caller], s.At), $"{caller} presented {s.Presented[caller].KeyId} at {s.At:O}, which keys.json did not verify"));

                var keyIds = watched.Select(s => s.Presented[caller].KeyId).Distinct().ToList();
                Assert.Equal(Rotations + 1, keyIds.Count);
                for (var i = 1; i < keyIds.Count; i++)
                {
                    var (old, fresh) = (keyIds[i - 1], keyIds[i]);
                    var inKeysJson = watched.First(s => s.KeysJson.Any(e => (string?)e["keyId"] == fresh)).At;
                    var presented = watched.First(s => s.Presented[caller].KeyId == fresh).At;
                    Assert.True(presented - inKeysJson >= Propagation - SamplingTolerance,
                        $"{caller}: key {fresh} was presented {(presented - inKeysJson).TotalSeconds:F1}s after it reached keys.json, less than {Propagation.TotalSeconds}s");

                    // The old key stays in keys.json for its grace period after the switch, then leaves.
                    var retired = watched.Last(s => s.KeysJson.Any(e => (string?)e["keyId"] == old));
                    var notAfter = DateTimeOffset.Parse((string)retired.KeysJson.Single(e => (string?)e["keyId"] == old)["notAfter"]!, System.Globalization.CultureInfo.InvariantCulture);
                    Assert.InRange(notAfter - Grace - presented, -TimeSpan.FromSeconds(3), SamplingTolerance);
                    Assert.All(watched.Where(s => s.At >= presented && s.At < notAfter - SamplingTolerance),
                        s => Assert.True(s.KeysJson.Any(e => (string?)e["keyId"] == old), $"{caller}: old key {old} left keys.json at {s.At:O}, before its grace period ended at {notAfter:O}"));
                    Assert.All(watched.Where(s => s.At > notAfter + TimeSpan.FromSeconds(3)),
                        s => Assert.False(s.KeysJson.Any(e => (string?)e["keyId"] == old), $"{caller}: old key {old} was still in keys.json at {s.At:O}, after {notAfter:O}"));
                }
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Sample> SampleUntilAsync(Func<Task<Sample>> sample, Func<Sample, bool> done, TimeSpan within, string failure)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < within)
        {
            if (await sample() is { } s && done(s))
            {
                return s;
            }
        }
        throw new TimeoutException(failure);
    }

    private static Sample Parse(DateTimeOffset at, ProcessResult got)
    {
        Assert.True(got.ExitCode == 0, got.Output);
        var presented = new Dictionary<string, Presented>();
        var keysJson = new List<JsonObject>();
        var ready = false;
        foreach (var item in JsonNode.Parse(got.Stdout)!["items"]!.AsArray().Select(i => i!))
        {
            var name = (string)item["metadata"]!["name"]!;
            string? Data(string key) => item["data"]?[key] is { } value ? Encoding.UTF8.GetString(Convert.FromBase64String((string)value!)) : null;
            if ((string?)item["kind"] == "ServiceIdentity")
            {
                ready = item["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true;
            }
            else if (name == "orders-verifiers")
            {
                keysJson = JsonNode.Parse(Data("keys.json")!)!.AsArray().Select(e => (JsonObject)e!).ToList();
            }
            else if (Data("api-key") is { } apiKey)
            {
                presented[name] = new Presented(Data("key-id")!, apiKey, Data("hmac-secret"));
            }
        }
        return new Sample(at, presented, keysJson, ready);
    }

    /// <summary>As a receiver checks it (README): a live entry with the key id and the key's SHA-256, or its HMAC secret.</summary>
    private static bool Verifies(List<JsonObject> keysJson, Presented key, DateTimeOffset at) => keysJson.Any(e =>
        (string?)e["keyId"] == key.KeyId
        && (e["notAfter"] is null || DateTimeOffset.Parse((string)e["notAfter"]!, System.Globalization.CultureInfo.InvariantCulture) > at)
        && (key.HmacSecret is null
            ? (string?)e["sha256"] == Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ApiKey)))
            : (string?)e["secret"] == key.HmacSecret));
}
