using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.LocalControlPlane;
using Sigil.Operator;
using Sigil.Runtime;

namespace Sigil.Benchmarks;

/// <summary>What one load run measured, for N identities.</summary>
internal sealed record LoadRun(
    int Identities,
    int Ready,
    double ReadySeconds,
    double RssMb,
    double PeakRssMb,
    double ManagedHeapMb,
    double WritesPerIdentity,
    int IdleWrites,
    double OperatorCpuSeconds,
    double EmulatorCpuSeconds,
    double KubeApiQps,
    int KubeApiBurst,
    string LoadAverage)
{
    /// <summary>With `--ca-rotation`: the manual CA rotation that followed, until every leaf was signed by the new CA.</summary>
    public CaRotationRun? CaRotation { get; init; }

    /// <summary>One line, name=value, in the order the README quotes them.</summary>
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"identities={Identities} ready={Ready} ready_s={ReadySeconds:F1} rss_mb={RssMb:F0} peak_rss_mb={PeakRssMb:F0} managed_heap_mb={ManagedHeapMb:F0} "
        + $"writes_per_identity={WritesPerIdentity:F2} idle_writes={IdleWrites} operator_cpu_s={OperatorCpuSeconds:F1} emulator_cpu_s={EmulatorCpuSeconds:F1} "
        + $"kube_api_qps={KubeApiQps:F0} kube_api_burst={KubeApiBurst} loadavg={LoadAverage}") + (CaRotation is { } r ? string.Create(CultureInfo.InvariantCulture,
            $" ca_rotation_moved_s={r.MovedSeconds:F1} ca_rotation_s={r.Seconds:F1} ca_rotation_peak_rss_mb={r.PeakRssMb:F0} ca_rotation_rss_mb={r.RssMb:F0} ca_rotation_writes_per_identity={r.WritesPerIdentity:F2}") : "");

    /// <summary>Which side spent more CPU while the identities became Ready (the other waited on it, or on the rate limit).</summary>
    public string Bottleneck() => string.Create(CultureInfo.InvariantCulture,
        $"  cpu while issuing: operator {OperatorCpuSeconds:F1} s ({OperatorCpuSeconds * 1000 / Math.Max(1, Identities):F2} ms/identity), "
        + $"emulator+harness {EmulatorCpuSeconds:F1} s ({EmulatorCpuSeconds * 1000 / Math.Max(1, Identities):F2} ms/identity), "
        + $"{(OperatorCpuSeconds + EmulatorCpuSeconds) / Math.Max(0.001, ReadySeconds):F2} of {Environment.ProcessorCount} cores busy; "
        + $"rate limit floor {2.0 * Identities / KubeApiQps:F1} s (2 writes before Ready at --kube-api-qps {KubeApiQps:F0})");
}

/// <summary>A manual CA rotation after the load: seconds from the request until every identity is Ready with a leaf of the new
/// CA, and until the old CA left the bundles and the writes stopped; the operator's peak RSS (VmHWM, reset when the rotation
/// is asked for) and RSS at the end; its writes per identity in the identities' namespace.</summary>
internal sealed record CaRotationRun(double MovedSeconds, double Seconds, double PeakRssMb, double RssMb, double WritesPerIdentity);

/// <summary>
/// N ServiceIdentities against the local control plane (in this process) with the operator as its own process
/// (`sigil run`), so the operator's memory and CPU are read apart from the emulator's: time until all are Ready,
/// the operator's RSS and peak RSS (VmHWM), its managed heap, API writes per identity, writes while idle, and the CPU
/// each side spent while the identities became Ready.
/// </summary>
internal static class LoadHarness
{
    private const string TrustBundleName = "sigil-trust-bundle";

    /// <summary>The last run's writes in the identities' namespace by verb and resource, to explain writes_per_identity.</summary>
    public static string WriteBreakdown { get; private set; } = "";

    /// <summary>`sigil local`'s rate limit, which the harness gives the operator unless told otherwise.</summary>
    public static readonly (double Qps, int Burst) LocalRateLimit = (Cli.OperatorFlags.LocalKubeApiQps, Cli.OperatorFlags.LocalKubeApiBurst);

    /// <summary>The runtime variables the Dockerfile sets for the operator that its runtimeconfig cannot (OPERATOR_DOTNET_X overrides).</summary>
    public static readonly (string Name, string Value)[] ImageEnvironment = [("DOTNET_GCgen0size", "0x2000000")];

    /// <summary>`load 1000,10000 [--kube-api-qps Q] [--kube-api-burst B] [--settle-seconds S]`: one run per size, each on a fresh cluster.</summary>
    public static async Task RunAsync(string[] args)
    {
        var sizes = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal)
            ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [1000, 10_000];
        var qps = Flag(args, "--kube-api-qps") is { } q ? double.Parse(q, CultureInfo.InvariantCulture) : LocalRateLimit.Qps;
        var burst = Flag(args, "--kube-api-burst") is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : LocalRateLimit.Burst;
        var settle = TimeSpan.FromSeconds(Flag(args, "--settle-seconds") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : 5);
        var rotateCa = args.Contains("--ca-rotation");
        var operatorEnvironment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith("OPERATOR_DOTNET_", StringComparison.Ordinal)).Select(e => $"{((string)e.Key)["OPERATOR_".Length..]}={e.Value}");
        Console.WriteLine($"load harness: operator `sigil run` as its own process, --kube-api-qps {qps} --kube-api-burst {burst}, "
            + $"{Environment.ProcessorCount} cores, operator environment: {string.Join(' ', ImageEnvironment.Select(e => $"{e.Name}={e.Value}").Concat(operatorEnvironment))}");
        Console.WriteLine("  wall-clock figures depend on what else runs (loadavg); CPU seconds and memory much less so");
        foreach (var size in sizes)
        {
            var run = await MeasureAsync(size, qps, burst, settle, CancellationToken.None, rotateCa);
            Console.WriteLine(run.Line());
            Console.WriteLine(run.Bottleneck());
        }
    }

    /// <param name="rotateCa">After the figures, ask for a manual CA rotation (sigil.dev/rotate on sigil-ca) and measure it
    /// too; the operator then runs with --bundle-propagation 10s, so the new CA signs 10 s after it is published.</param>
    public static async Task<LoadRun> MeasureAsync(int count, double qps, int burst, TimeSpan settle, CancellationToken ct, bool rotateCa = false)
    {
        await using var cluster = await LocalCluster.StartAsync(ct: ct);
        await LocalSetup.InstallAsync(cluster.Client, "sigil-system", ct);
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "load" } }, cancellationToken: ct);
        var (operatorProcess, metricsPort, errors) = StartOperator(cluster.KubeconfigPath, qps, burst, rotateCa ? ["--bundle-propagation", "10s"] : []);
        using var _ = operatorProcess;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            // The harness sees Ready through an informer (a watch), not by listing N identities over and over, which
            // would cost the emulator more than the operator's own traffic does.
            var identities = new Informer<ServiceIdentity>(Sources.ServiceIdentities(cluster.Client), TimeProvider.System, NullLogger.Instance);
            // Counted as the watch reports changes, not by scanning N identities ten times a second (which the harness's share
            // of the CPU showed as a cost of its own at 10,000).
            var readyCount = 0;
            identities.OnChange((old, current) => Interlocked.Add(ref readyCount, (IsReady(current) ? 1 : 0) - (IsReady(old) ? 1 : 0)));
            var watching = identities.RunAsync(stop.Token);
            await identities.Synced.WaitAsync(ct);
            await WaitAsync(() => Healthy(metricsPort), operatorProcess, TimeSpan.FromMinutes(2), ct);
            cluster.Requests.Clear();

            var operatorCpu = Cpu(operatorProcess);
            var emulatorCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await CreateIdentitiesAsync(cluster.Client, count, ct);
            var allReady = await WaitAsync(() => Task.FromResult(Volatile.Read(ref readyCount) >= count), operatorProcess, Limit(count), ct);
            var readyAfter = watch.Elapsed;
            operatorCpu = Cpu(operatorProcess) - operatorCpu;
            emulatorCpu = Process.GetCurrentProcess().TotalProcessorTime - emulatorCpu;
            var ready = CountReady(identities);
            if (!allReady)
            {
                throw new InvalidOperationException(operatorProcess.HasExited
                    ? $"the operator exited with {operatorProcess.ExitCode}: {await errors}"
                    : $"only {ready} of {count} identities became Ready within {Limit(count).TotalSeconds} s; {await NotReadyAsync(cluster.Client, identities, count)}");
            }

            // The events of the last issuances may still be on their way: settle, then count writes while nothing is due.
            await Task.Delay(settle, ct);
            // Every write in the identities' namespace but the harness's own creates: Secrets, status, events, the namespace's
            // trust bundle (the operator's own CA and key Secrets, written once at start, are not the identities').
            var operatorWrites = cluster.Requests.All.Count(r => r.Verb is "create" or "update" or "patch" && r.Namespace == "load"
                && !(r.Resource == "serviceidentities" && r.Subresource is null));
            WriteBreakdown = string.Join(", ", cluster.Requests.All.Where(r => r.Verb is "create" or "update" or "patch" && r.Namespace == "load"
                    && !(r.Resource == "serviceidentities" && r.Subresource is null))
                .GroupBy(r => $"{r.Verb} {r.Resource}{(r.Subresource is null ? "" : "/" + r.Subresource)}").Select(g => $"{g.Key}={g.Count()}"));
            cluster.Requests.Clear();
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            var idleWrites = cluster.Requests.Writes();

            var status = await File.ReadAllLinesAsync($"/proc/{operatorProcess.Id}/status", ct);
            double Mb(string name) => StatusMb(status, name);
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"), ct);
            var heap = metrics.Split('\n').First(l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal)).Split(' ')[1];
            var run = new LoadRun(count, ready, readyAfter.TotalSeconds, Mb("VmRSS"), Mb("VmHWM"),
                double.Parse(heap, CultureInfo.InvariantCulture) / 1024 / 1024, (double)operatorWrites / count, idleWrites,
                operatorCpu.TotalSeconds, emulatorCpu.TotalSeconds, qps, burst, File.ReadAllText("/proc/loadavg").Split(' ')[0]);
            if (rotateCa)
            {
                run = run with { CaRotation = await RotateCaAsync(cluster, identities, operatorProcess, count, ct) };
            }
            await stop.CancelAsync();
            await watching;
            return run;
        }
        finally
        {
            await stop.CancelAsync();
            if (int.TryParse(Environment.GetEnvironmentVariable("SIGIL_HOLD_SECONDS"), out var hold))
            {
                Console.WriteLine($"operator process id {operatorProcess.Id} (SIGIL_HOLD_SECONDS: up for {hold} s more, e.g. for dotnet-gcdump)");
                await Task.Delay(TimeSpan.FromSeconds(hold), CancellationToken.None);
            }
            if (!operatorProcess.HasExited)
            {
                operatorProcess.Kill(entireProcessTree: true);
                await operatorProcess.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<CaRotationRun> RotateCaAsync(LocalCluster cluster, Informer<ServiceIdentity> identities, Process operatorProcess, int count, CancellationToken ct)
    {
        var before = identities.Enumerate().ToDictionary(i => i.Metadata.Name, i => i.Status?.X509?.SerialNumber, StringComparer.Ordinal);
        // Writing 5 to clear_refs resets VmHWM, so the peak read at the end is the rotation's, not the first issuance's.
        await File.WriteAllTextAsync($"/proc/{operatorProcess.Id}/clear_refs", "5", ct);
        cluster.Requests.Clear();
        var watch = Stopwatch.StartNew();
        var request = new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["annotations"] = new System.Text.Json.Nodes.JsonObject { [Labels.RotateAnnotation] = "load-harness" } } }.ToJsonString();
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(request, V1Patch.PatchType.MergePatch), "sigil-ca", "sigil-system", cancellationToken: ct);
        bool Moved(ServiceIdentity i) => IsReady(i) && i.Status?.X509?.SerialNumber is { } serial && serial != before.GetValueOrDefault(i.Metadata.Name);
        if (!await WaitAsync(() => Task.FromResult(identities.Enumerate().Count(Moved) >= count), operatorProcess, 2 * Limit(count), ct))
        {
            throw new InvalidOperationException($"only {identities.Enumerate().Count(Moved)} of {count} identities moved to the new CA within {2 * Limit(count).TotalSeconds} s");
        }
        var movedAfter = watch.Elapsed.TotalSeconds;
        // The rotation ends when the old CA has left the namespace's bundle (every leaf moved, plus --bundle-propagation) and
        // the Secrets' ca.crt trims that follow it have been written: until the writes stop for 3 s.
        async Task<bool> OldCaDropped()
        {
            var bundle = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(TrustBundleName, "load", cancellationToken: ct);
            return bundle.Data?.TryGetValue("ca.crt", out var pem) == true && pem.Split("BEGIN CERTIFICATE").Length == 2;
        }
        if (!await WaitAsync(OldCaDropped, operatorProcess, 2 * Limit(count), ct))
        {
            throw new InvalidOperationException($"the old CA was still in the trust bundle {2 * Limit(count).TotalSeconds} s after every leaf moved");
        }
        for (var seen = -1; seen != cluster.Requests.Writes();)
        {
            seen = cluster.Requests.Writes();
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var status = await File.ReadAllLinesAsync($"/proc/{operatorProcess.Id}/status", ct);
        double Mb(string name) => StatusMb(status, name);
        var writes = cluster.Requests.All.Count(r => r.Verb is "create" or "update" or "patch" && r.Namespace == "load");
        return new CaRotationRun(movedAfter, seconds, Mb("VmHWM"), Mb("VmRSS"), (double)writes / count);
    }

    /// <summary>A size field of /proc/PID/status (VmRSS, VmHWM: kB) in MiB.</summary>
    private static double StatusMb(string[] status, string field) =>
        long.Parse(status.First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;

    /// <summary>Far beyond PRODUCT's targets (10 s per 1,000), so a slow machine still finishes, and a stuck run ends.</summary>
    private static TimeSpan Limit(int count) => TimeSpan.FromSeconds(60 + count / 20.0);

    /// <summary>What the API says of the first identities the harness's cache does not see Ready.</summary>
    private static async Task<string> NotReadyAsync(IKubernetes client, Informer<ServiceIdentity> identities, int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"svc-{i}")
            .Where(n => identities.Get("load", n)?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true).Take(3).ToList();
        var described = new List<string>();
        foreach (var name in names)
        {
            var cached = identities.Get("load", name);
            var stored = await client.CustomObjects.GetNamespacedCustomObjectAsync<ServiceIdentity>(ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural, name);
            described.Add($"{name}: cached rv {cached?.Metadata.ResourceVersion ?? "(none)"}, stored rv {stored.Metadata.ResourceVersion} conditions "
                + string.Join(",", stored.Status?.Conditions?.Select(c => $"{c.Type}={c.Status}/{c.Reason}") ?? []));
        }
        return string.Join("; ", described);
    }

    private static (Process Operator, int MetricsPort, Task<string> Errors) StartOperator(string kubeconfig, double qps, int burst, string[] extra)
    {
        // SIGIL_OPERATOR_DLL runs another build of the operator, e.g. `dotnet publish` output as the image holds it; a path
        // that is not a .dll (a NativeAOT or apphost executable) is started itself rather than through `dotnet`.
        var sigil = Environment.GetEnvironmentVariable("SIGIL_OPERATOR_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        var metricsPort = FreePort();
        string[] arguments = ["run", "--kubeconfig", kubeconfig,
            "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture), "--health-port", "0", "--issuer-port", "0", "--log-format", "json",
            "--kube-api-qps", qps.ToString(CultureInfo.InvariantCulture), "--kube-api-burst", burst.ToString(CultureInfo.InvariantCulture), .. extra];
        var start = sigil.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo("dotnet", [sigil, .. arguments])
            : new ProcessStartInfo(sigil, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // What the image sets beyond the runtimeconfig (Dockerfile ENV), so the figures are the image's.
        foreach (var (name, value) in ImageEnvironment)
        {
            start.Environment[name] = value;
        }
        // OPERATOR_DOTNET_X=v sets DOTNET_X=v for the operator only (GC settings), not for this emulator process.
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith("OPERATOR_DOTNET_", StringComparison.Ordinal)))
        {
            start.Environment[name["OPERATOR_".Length..]] = value;
        }
        var process = Process.Start(start)!;
        // SIGIL_OPERATOR_LOG=path keeps the operator's log (JSON lines) for a run that needs explaining.
        var log = Environment.GetEnvironmentVariable("SIGIL_OPERATOR_LOG") is { Length: > 0 } path ? File.Create(path) : Stream.Null;
        _ = process.StandardOutput.BaseStream.CopyToAsync(log).ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
        return (process, metricsPort, process.StandardError.ReadToEndAsync());
    }

    private static async Task<bool> Healthy(int metricsPort)
    {
        try
        {
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
            // The sample line, not the HELP line ("# HELP sigil_leader 1 while this process reconciles ..."), which is there
            // from the first scrape: matching it started the identities while the operator was still starting.
            return metrics.Contains("\nsigil_leader 1", StringComparison.Ordinal);
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Waits for a condition, checked every 100 ms, giving up when the operator exits or the time is up.</summary>
    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, Process operatorProcess, TimeSpan limit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (operatorProcess.HasExited || watch.Elapsed > limit)
            {
                return false;
            }
            await Task.Delay(100, ct);
        }
        return true;
    }

    private static TimeSpan Cpu(Process process)
    {
        // utime + stime of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 on Linux).
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static int CountReady(Informer<ServiceIdentity> identities) => identities.Enumerate().Count(IsReady);

    private static bool IsReady(ServiceIdentity? identity) => identity?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static string? Flag(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task CreateIdentitiesAsync(IKubernetes client, int count, CancellationToken ct) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                Spec = new ServiceIdentitySpec { X509 = new X509Spec() },
            }, ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural, cancellationToken: token));
}
