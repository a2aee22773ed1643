using BenchmarkDotNet.Running;
using Sigil.Benchmarks;

// dotnet run -c Release --project tests/Sigil.Benchmarks -- load 1000,10000   (N identities to Ready, the operator as its own process: time, RSS, peak RSS,
//     heap, writes, CPU of each side; --kube-api-qps Q --kube-api-burst B, default sigil local's; OPERATOR_DOTNET_X=v sets DOTNET_X for the operator;
//     SIGIL_HOLD_SECONDS=N keeps it up for dotnet-gcdump; --ca-rotation then rotates the CA and prints its time, peak RSS and writes)
// dotnet run -c Release --project tests/Sigil.Benchmarks -- ca-rotation 10000   (a CA rotation across N identities; --kube-api-qps Q, --kube-api-burst B)
// dotnet run -c Release --project tests/Sigil.Benchmarks -- token-endpoint 20000   (client_secret_basic on loopback; --concurrency C, --identities N)
// dotnet run -c Release --project tests/Sigil.Benchmarks -- soak 600   (the .NET samples under rotation of every credential and the CA; seconds)
// dotnet run -c Release --project tests/Sigil.Benchmarks -- --filter '*'   (BenchmarkDotNet)
if (args is ["soak", ..])
{
    await SoakBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 600);
    return;
}
if (args is ["token-endpoint-load", ..])
{
    await TokenEndpointHarness.LoadAsync(args);
    return;
}
if (args is ["token-endpoint", ..])
{
    await TokenEndpointHarness.RunAsync(args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000, args);
    return;
}
if (args is ["ca-rotation", ..])
{
    await CaRotationHarness.RunAsync(args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000, args);
    return;
}
if (args is ["load", ..])
{
    await LoadHarness.RunAsync(args);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(IssuanceBenchmarks).Assembly).Run(args);
