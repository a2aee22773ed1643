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
    public static async Task RunAsync(int count)
    {
        await using var cluster = await LocalCluster.StartAsync();
        var options = new OperatorOptions { MetricsPort = 0, HealthPort = 0, Workers = Environment.ProcessorCount * 2 };
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
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(new ServiceIdentity
            {
                Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                Spec = new ServiceIdentitySpec { X509 = new X509Spec() },
            }, ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural, cancellationToken: ct));
        var created = watch.Elapsed;
        int ready;
        do
        {
            await Task.Delay(100);
            var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<ServiceIdentityList>(ServiceIdentity.Group, ServiceIdentity.Version, "load", ServiceIdentity.Plural);
            ready = list.Items.Count(i => i.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        }
        while (ready < count && watch.Elapsed < TimeSpan.FromMinutes(5));
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
}
