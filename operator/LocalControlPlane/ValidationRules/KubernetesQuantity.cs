using System.Globalization;
using System.Text.RegularExpressions;
using Cel;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// Kubernetes' CEL quantity library (<c>quantity('1Gi').isGreaterThan(quantity('512Mi'))</c>) over exact decimals:
/// quantity, isQuantity, sign, isInteger, asInteger, asApproximateFloat, add, sub, compareTo, isLessThan, isGreaterThan.
/// </summary>
internal sealed partial record KubernetesQuantity(decimal Value)
{
    private static readonly Dictionary<string, decimal> Suffixes = new(StringComparer.Ordinal)
    {
        [""] = 1m,
        ["n"] = 0.000_000_001m, ["u"] = 0.000_001m, ["m"] = 0.001m,
        ["k"] = 1e3m, ["M"] = 1e6m, ["G"] = 1e9m, ["T"] = 1e12m, ["P"] = 1e15m, ["E"] = 1e18m,
        ["Ki"] = 1024m, ["Mi"] = 1024m * 1024, ["Gi"] = 1024m * 1024 * 1024, ["Ti"] = 1024m * 1024 * 1024 * 1024,
        ["Pi"] = 1024m * 1024 * 1024 * 1024 * 1024, ["Ei"] = 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    public static void Register(CelEnvironment environment)
    {
        environment.RegisterFunction("quantity", [typeof(string)], args => Parse((string)args[0]!));
        environment.RegisterFunction("isQuantity", [typeof(string)], args => TryParse((string)args[0]!) is not null);
        environment.RegisterFunction("sign", [typeof(KubernetesQuantity)], args => (long)Math.Sign(Of(args[0]).Value));
        environment.RegisterFunction("isInteger", [typeof(KubernetesQuantity)], args => decimal.IsInteger(Of(args[0]).Value) && InInt64(Of(args[0]).Value));
        environment.RegisterFunction("asInteger", [typeof(KubernetesQuantity)], args => Of(args[0]).AsInteger());
        environment.RegisterFunction("asApproximateFloat", [typeof(KubernetesQuantity)], args => (double)Of(args[0]).Value);
        environment.RegisterFunction("add", [typeof(KubernetesQuantity), typeof(KubernetesQuantity)], args => new KubernetesQuantity(Of(args[0]).Value + Of(args[1]).Value));
        environment.RegisterFunction("add", [typeof(KubernetesQuantity), typeof(long)], args => new KubernetesQuantity(Of(args[0]).Value + (long)args[1]!));
        environment.RegisterFunction("sub", [typeof(KubernetesQuantity), typeof(KubernetesQuantity)], args => new KubernetesQuantity(Of(args[0]).Value - Of(args[1]).Value));
        environment.RegisterFunction("sub", [typeof(KubernetesQuantity), typeof(long)], args => new KubernetesQuantity(Of(args[0]).Value - (long)args[1]!));
        environment.RegisterFunction("compareTo", [typeof(KubernetesQuantity), typeof(KubernetesQuantity)], args => (long)Of(args[0]).Value.CompareTo(Of(args[1]).Value));
        environment.RegisterFunction("isLessThan", [typeof(KubernetesQuantity), typeof(KubernetesQuantity)], args => Of(args[0]).Value < Of(args[1]).Value);
        environment.RegisterFunction("isGreaterThan", [typeof(KubernetesQuantity), typeof(KubernetesQuantity)], args => Of(args[0]).Value > Of(args[1]).Value);
    }

    public static KubernetesQuantity Parse(string text) =>
        TryParse(text) ?? throw new ArgumentException($"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text}");

    public static KubernetesQuantity? TryParse(string text)
    {
        var match = Syntax().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        var suffix = match.Groups["suffix"].Value;
        try
        {
            if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
            {
                return exponent is < -28 or > 28 ? null : new KubernetesQuantity(number * Pow10(exponent));
            }
            return Suffixes.TryGetValue(suffix, out var scale) ? new KubernetesQuantity(number * scale) : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private long AsInteger() => decimal.IsInteger(Value) && InInt64(Value)
        ? (long)Value
        : throw new ArgumentException("cannot convert value to integer");

    private static bool InInt64(decimal value) => value is >= long.MinValue and <= long.MaxValue;

    private static KubernetesQuantity Of(object? value) => (KubernetesQuantity)value!;

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result = exponent > 0 ? result * 10 : result / 10;
        }
        return result;
    }

    [GeneratedRegex(@"^(?<number>[+-]?(?:\d+\.?\d*|\.\d+))(?<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")]
    private static partial Regex Syntax();
}
