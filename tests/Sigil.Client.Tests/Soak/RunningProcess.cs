using System.Diagnostics;
using System.Text;

namespace Sigil.Client.Tests.Soak;

/// <summary>A child process whose output is drained as it runs (a full pipe would stall it) and killed with its tree at the end.</summary>
internal sealed class RunningProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly Lock _lock = new();
    private readonly Task _drained;

    private RunningProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _drained = Task.WhenAll(DrainAsync(process.StandardOutput, _stdout), DrainAsync(process.StandardError, _stderr));
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return $"[{Name} stdout]\n{_stdout}\n[{Name} stderr]\n{_stderr}";
            }
        }
    }

    public static RunningProcess Start(string file, IEnumerable<string> arguments, string workingDirectory, string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        return new RunningProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}"), name);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(string file, IEnumerable<string> arguments, string workingDirectory, TimeSpan within,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(file, arguments, workingDirectory, Path.GetFileName(file), environment);
        var (stdout, stderr) = await process.WaitForExitAsync(within);
        return (process._process.ExitCode, stdout, stderr);
    }

    /// <summary>Waits until stdout holds <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            lock (_lock)
            {
                if (_stdout.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }
            if (_process.HasExited || deadline.Elapsed > within)
            {
                throw new TimeoutException($"{Name} never printed '{text}':\n{Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the process to end on its own and returns everything it printed.</summary>
    public async Task<(string Stdout, string Stderr)> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await _drained.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not end within {within}:\n{Output}");
        }
        lock (_lock)
        {
            return (_stdout.ToString(), _stderr.ToString());
        }
    }

    private async Task DrainAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_lock)
            {
                into.Append(buffer, 0, read);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}

/// <summary>kubectl (1.32, from the PATH) against one kubeconfig; a non-zero exit is an exception with its output.</summary>
internal sealed class KubectlRunner(string kubeconfig)
{
    public async Task<string> RunAsync(params string[] arguments)
    {
        var (exit, stdout, stderr) = await RunningProcess.RunToEndAsync("kubectl", ["--kubeconfig", kubeconfig, .. arguments], Path.GetTempPath(), TimeSpan.FromMinutes(2));
        return exit == 0 ? stdout : throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} failed ({exit}): {stdout}{stderr}");
    }
}
