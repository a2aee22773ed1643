using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cel;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// What kube-apiserver's CEL environment adds to standard CEL, as far as the Cel library can host it: the strings
/// extension (lowerAscii, replace and split with a limit), the Kubernetes list library (isSorted, sum, min, max,
/// indexOf), the regex library (find, findAll) and the URL library (the quantity library is <see cref="KubernetesQuantity"/>). It also puts back two standard semantics the
/// library bends for protobuf messages: <c>has()</c> tests that a field is present (an empty string or list is still
/// present), and <c>size()</c> is an int64.
/// </summary>
internal static class KubernetesCelLibrary
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public static void Register(CelEnvironment environment)
    {
        environment.RegisterFunction("has", [typeof(object)], args => !IsMissing(args[0]));

        environment.RegisterFunction("size", [typeof(string)], args => (long)CodePoints((string)args[0]!));
        environment.RegisterFunction("size", [typeof(IList)], args => (long)((IList)args[0]!).Count);
        environment.RegisterFunction("size", [typeof(IDictionary)], args => (long)((IDictionary)args[0]!).Count);
        environment.RegisterFunction("size", [typeof(ByteString)], args => (long)((ByteString)args[0]!).Length);

        // The library builds a new Regex on every duration() call and every matches(); these are the same functions
        // without that cost (a CRD's duration rules run on every write), matches() using .NET's cache of parsed patterns.
        environment.RegisterFunction("duration", [typeof(string)], args => CelValues.TryParseGoDuration((string)args[0]!, out var d)
            ? Duration.FromTimeSpan(d)
            : throw new FormatException($"invalid duration \"{args[0]}\""));
        environment.RegisterFunction("matches", [typeof(string), typeof(string)],
            args => Regex.IsMatch((string)args[0]!, (string)args[1]!, RegexOptions.None, RegexTimeout));

        environment.RegisterFunction("lowerAscii", [typeof(string)], args => MapAscii((string)args[0]!, upper: false));
        environment.RegisterFunction("upperAscii", [typeof(string)], args => MapAscii((string)args[0]!, upper: true));
        environment.RegisterFunction("replace", [typeof(string), typeof(string), typeof(string), typeof(long)],
            args => Replace((string)args[0]!, (string)args[1]!, (string)args[2]!, (long)args[3]!));
        environment.RegisterFunction("split", [typeof(string), typeof(string), typeof(long)],
            args => Split((string)args[0]!, (string)args[1]!, (long)args[2]!));

        environment.RegisterFunction("isSorted", [typeof(IList)], args => IsSorted((IList)args[0]!));
        environment.RegisterFunction("sum", [typeof(IList)], args => Sum((IList)args[0]!));
        environment.RegisterFunction("min", [typeof(IList)], args => Extreme((IList)args[0]!, "min", sign: -1));
        environment.RegisterFunction("max", [typeof(IList)], args => Extreme((IList)args[0]!, "max", sign: 1));
        environment.RegisterFunction("indexOf", [typeof(IList), typeof(object)], args => IndexOf((IList)args[0]!, args[1], last: false));
        environment.RegisterFunction("lastIndexOf", [typeof(IList), typeof(object)], args => IndexOf((IList)args[0]!, args[1], last: true));

        environment.RegisterFunction("find", [typeof(string), typeof(string)], args =>
            Regex.Match((string)args[0]!, (string)args[1]!, RegexOptions.None, RegexTimeout) is { Success: true } m ? m.Value : "");
        environment.RegisterFunction("findAll", [typeof(string), typeof(string)], args => FindAll((string)args[0]!, (string)args[1]!, -1));
        environment.RegisterFunction("findAll", [typeof(string), typeof(string), typeof(long)],
            args => FindAll((string)args[0]!, (string)args[1]!, (long)args[2]!));

        environment.RegisterFunction("isURL", [typeof(string)], args => KubernetesUrl.TryParse((string)args[0]!, out _));
        environment.RegisterFunction("url", [typeof(string)], args => KubernetesUrl.TryParse((string)args[0]!, out var url)
            ? url
            : throw new ArgumentException($"URL parse error during conversion from string: {args[0]}"));
        environment.RegisterFunction("getScheme", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).Scheme);
        environment.RegisterFunction("getHost", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).Host);
        environment.RegisterFunction("getHostname", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).Hostname);
        environment.RegisterFunction("getPort", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).Port);
        environment.RegisterFunction("getEscapedPath", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).EscapedPath);
        environment.RegisterFunction("getQuery", [typeof(KubernetesUrl)], args => ((KubernetesUrl)args[0]!).Query());
    }

    /// <summary>The library's marker for a field selected from a map that lacks it (an internal type).</summary>
    public static bool IsMissing(object? value) => value is not null && value.GetType().Name == "CelNoSuchField";

    private static int CodePoints(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsLowSurrogate(text[i]))
            {
                count++;
            }
        }
        return count;
    }

    private static string MapAscii(string text, bool upper)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                >= 'a' and <= 'z' when upper => (char)(c - 32),
                >= 'A' and <= 'Z' when !upper => (char)(c + 32),
                _ => c,
            });
        }
        return builder.ToString();
    }

    private static string Replace(string text, string oldValue, string newValue, long limit)
    {
        if (limit < 0)
        {
            return text.Replace(oldValue, newValue, StringComparison.Ordinal);
        }
        var builder = new StringBuilder();
        var start = 0;
        for (var n = 0; n < limit; n++)
        {
            var at = text.IndexOf(oldValue, start, StringComparison.Ordinal);
            if (at < 0 || oldValue.Length == 0)
            {
                break;
            }
            builder.Append(text, start, at - start).Append(newValue);
            start = at + oldValue.Length;
        }
        return builder.Append(text, start, text.Length - start).ToString();
    }

    private static object?[] Split(string text, string separator, long limit) => limit switch
    {
        0 => [],
        < 0 => text.Split(separator).Cast<object?>().ToArray(),
        _ => text.Split(separator, (int)Math.Min(limit, int.MaxValue)).Cast<object?>().ToArray(),
    };

    private static bool IsSorted(IList list)
    {
        for (var i = 1; i < list.Count; i++)
        {
            if (Compare(list[i - 1], list[i]) > 0)
            {
                return false;
            }
        }
        return true;
    }

    private static object Sum(IList list)
    {
        if (list.Cast<object?>().All(v => v is long))
        {
            return list.Cast<long>().Aggregate(0L, (a, b) => checked(a + b));
        }
        return list.Cast<object?>().Sum(v => Convert.ToDouble(v, CultureInfo.InvariantCulture));
    }

    private static object? Extreme(IList list, string name, int sign)
    {
        if (list.Count == 0)
        {
            throw new ArgumentException($"{name}(list) called on an empty list");
        }
        var best = list[0];
        foreach (var value in list)
        {
            if (Compare(value, best) * sign > 0)
            {
                best = value;
            }
        }
        return best;
    }

    private static long IndexOf(IList list, object? value, bool last)
    {
        var indexes = Enumerable.Range(0, list.Count);
        foreach (var i in last ? indexes.Reverse() : indexes)
        {
            if (Compare(list[i], value) == 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static object?[] FindAll(string text, string pattern, long limit) =>
        Regex.Matches(text, pattern, RegexOptions.None, RegexTimeout)
            .Select(m => (object?)m.Value)
            .Take(limit < 0 ? int.MaxValue : (int)Math.Min(limit, int.MaxValue))
            .ToArray();

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long or double or ulong, long or double or ulong) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        (string x, string y) => string.CompareOrdinal(x, y),
        (IComparable x, _) when b is not null && a.GetType() == b.GetType() => x.CompareTo(b),
        _ => throw new ArgumentException($"no such overload: cannot compare {a?.GetType().Name ?? "null"} and {b?.GetType().Name ?? "null"}"),
    };
}

/// <summary>A URL as Kubernetes' CEL URL library sees it: absolute URIs and absolute paths.</summary>
internal sealed record KubernetesUrl(string Scheme, string Host, string Hostname, string Port, string EscapedPath, string RawQuery)
{
    public static bool TryParse(string text, out KubernetesUrl? url)
    {
        url = null;
        if (text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal))
        {
            var q = text.IndexOf('?', StringComparison.Ordinal);
            url = new KubernetesUrl("", "", "", "", q < 0 ? text : text[..q], q < 0 ? "" : text[(q + 1)..]);
            return true;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.IsFile && !text.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var explicitPort = uri.IsDefaultPort && !text.Contains($":{uri.Port}", StringComparison.Ordinal) ? "" : uri.Port.ToString(CultureInfo.InvariantCulture);
        var hostname = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        var host = explicitPort.Length == 0 ? uri.Host : $"{uri.Host}:{explicitPort}";
        url = new KubernetesUrl(uri.Scheme, host, hostname, explicitPort, uri.AbsolutePath, uri.Query.TrimStart('?'));
        return true;
    }

    public Dictionary<string, object?> Query()
    {
        var result = new Dictionary<string, object?>();
        foreach (var pair in RawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            result[key] = (result.TryGetValue(key, out var existing) ? (object?[])existing! : []).Append(value).ToArray();
        }
        return result;
    }
}
