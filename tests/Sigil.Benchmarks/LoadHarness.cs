using System.Diagnostics;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.LocalControlPlane;
using Sigil.Operator;

namespace Sigil.Benchmarks;

/// <summary>
/// N ServiceIdentities against the local control plane with the operator in-process: prints how long until
/// all are Ready, API writes per issuance, writes while idle, and the process's memory.
/// </summary>
internal static class LoadHarness
{
    /// <summary>
    /// The operator as its own process (`sigil run`) against the local control plane in this one, so its memory
    /// can be read apart from the emulator's: prints its resident set once N identities are Ready.
    /// </summary>
    public static async Task RunOperatorProcessAsync(int count)
    {
        await using var cluster = await LocalCluster.StartAsync();
        await LocalSetup.InstallAsync(cluster.Client, "sigil-system", CancellationToken.None);
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "load" } });
        // SIGIL_OPERATOR_DLL runs another build of the operator, e.g. `dotnet publish` output as the image holds it.
        var sigil = Environment.GetEnvironmentVariable("SIGIL_OPERATOR_DLL") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        var metricsPort = FreePort();
        var start = new ProcessStartInfo("dotnet", [sigil, "run", "--kubeconfig", cluster.KubeconfigPath,
            "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--health-port", "0", "--log-format", "json"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // OPERATOR_DOTNET_X=v sets DOTNET_X=v for the operator only (GC settings), not for this emulator process.
        foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith("OPERATOR_DOTNET_", StringComparison.Ordinal)))
        {
            start.Environment[name["OPERATOR_".Length..]] = value;
        }
        using var operatorProcess = Process.Start(start)!;
        _ = operatorProcess.StandardOutput.ReadToEndAsync();
        var errors = operatorProcess.StandardError.ReadToEndAsync();
        try
        {
            var watch = Stopwatch.StartNew();
            await CreateIdentitiesAsync(cluster.Client, count);
            var ready = await WaitReadyAsync(cluster.Client, count, watch, () => operatorProcess.HasExited);
            if (operatorProcess.HasExited)
            {
                Console.WriteLine($"the operator exited with {operatorProcess.ExitCode}: {await errors}");
                return;
            }
            var allReady = watch.Elapsed;
            Console.WriteLine($"operator process id:         {operatorProcess.Id} (SIGIL_HOLD_SECONDS keeps it running for a heap dump)");
            await Task.Delay(TimeSpan.FromSeconds(10));
            var status = await File.ReadAllLinesAsync($"/proc/{operatorProcess.Id}/status");
            string Field(string name) => status.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim();
            Console.WriteLine($"identities:                  {count} ({ready} Ready after {allReady.TotalSeconds:F1} s)");
            Console.WriteLine($"operator process RSS:        {Field("VmRSS")} (peak {Field("VmHWM")}), 10 s after all were Ready");
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("dotnet_total_memory_bytes", StringComparison.Ordinal) || l.StartsWith("process_working_set_bytes", StringComparison.Ordinal)))
            {
                Console.WriteLine($"operator {line}");
            }
        }
        finally
        {
            if (int.TryParse(Environment.GetEnvironmentVariable("SIGIL_HOLD_SECONDS"), out var hold))
            {
                await Task.Delay(TimeSpan.FromSeconds(hold));
            }
            operatorProcess.Kill(entireProcessTree: true);
        }
    }

    public static async Task RunAsync(int count)
    {
        await using var cluster = await LocalCluster.StartAsync();
        var options = new OperatorOptions
        {
            MetricsPort = 0, HealthPort = 0, BundlePropagation = TimeSpan.Zero, Workers = Environment.ProcessorCount * 2,
            IssuerPort = 0, IssuerAddress = System.Net.IPAddress.Loopback,
        };
        await LocalSetup.InstallAsync(cluster.Client, options.Namespace, CancellationToken.None);
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "load" } });
        using var stop = new CancellationTokenSource();
        var host = new OperatorHost(options, cluster.Client, NullLoggerFactory.Instance, TimeProvider.System);
        var running = host.RunAsync(stop.Token);
        while (!host.Ready)
        {
            await Task.Delay(50);
        }
        cluster.Requests.Clear();

        var watch = Stopwatch.StartNew();
        await CreateIdentitiesAsync(cluster.Client, count);
        var created = watch.Elapsed;
        var ready = await WaitReadyAsync(cluster.Client, count, watch);
        var allReady = watch.Elapsed;
        var operatorWrites = cluster.Requests.All.Count(r => r.Verb is "create" or "update" or "patch" && !(r.Resource == "serviceidentities" && r.Subresource is null));

        cluster.Requests.Clear();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var idleWrites = cluster.Requests.Writes();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Console.WriteLine($"identities:                  {count}");
        Console.WriteLine($"created in:                  {created.TotalSeconds:F2} s");
        Console.WriteLine($"all Ready after:             {allReady.TotalSeconds:F2} s ({ready} ready)");
        Console.WriteLine($"operator API writes:         {operatorWrites} ({(double)operatorWrites / count:F2} per identity, including one trust-bundle ConfigMap)");
        Console.WriteLine($"API writes in 3 s idle:      {idleWrites}");
        Console.WriteLine($"managed heap after GC:       {GC.GetTotalMemory(true) / 1024 / 1024} MiB (emulator and operator share this process)");
        Console.WriteLine($"working set:                 {Environment.WorkingSet / 1024 / 1024} MiB");
        await stop.CancelAsync();
        await running;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task CreateIdentitiesAsync(IKubernetes client, int count) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                Spec = new ServiceIdentitySpec { X509 = new X509Spec() },
            }, ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural, cancellationToken: ct));

    private static async Task<int> WaitReadyAsync(IKubernetes client, int count, Stopwatch watch, Func<bool>? gaveUp = null)
    {
        int ready;
        do
        {
            await Task.Delay(100);
            var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<ServiceIdentityList>(ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural);
            ready = list.Items.Count(i => i.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        }
        while (ready < count && watch.Elapsed < TimeSpan.FromMinutes(10) && gaveUp?.Invoke() != true);
        return ready;
    }
}
