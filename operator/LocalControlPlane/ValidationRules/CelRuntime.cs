using System.Collections.Frozen;
using Cel;
using Cel.Internal;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// The one CEL environment every CRD's rules compile in: the Cel library's standard functions and macros, the
/// Kubernetes extension functions registered by <see cref="KubernetesCelLibrary"/>, and the names
/// <see cref="RuleSupport"/> accepts, which are exactly the ones this environment can evaluate.
/// </summary>
internal static class CelRuntime
{
    private static readonly Lazy<CelEnvironment> Shared = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Functions called as <c>f(x)</c>.</summary>
    public static readonly FrozenSet<string> GlobalFunctions = FrozenSet.ToFrozenSet(
    [
        "has", "size", "int", "uint", "double", "bool", "string", "bytes", "duration", "timestamp", "type", "dyn",
        "matches", "url", "isURL", "quantity", "isQuantity",
    ]);

    /// <summary>Functions called as <c>x.f()</c>, the receiver being the first argument.</summary>
    public static readonly FrozenSet<string> MemberFunctions = FrozenSet.ToFrozenSet(
    [
        "size", "contains", "startsWith", "endsWith", "matches",
        "charAt", "indexOf", "lastIndexOf", "join", "replace", "split", "substring", "trim", "lowerAscii", "upperAscii",
        "isSorted", "sum", "min", "max", "find", "findAll",
        "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "getQuery",
        "sign", "isInteger", "asInteger", "asApproximateFloat", "add", "sub", "compareTo", "isLessThan", "isGreaterThan",
        "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDayOfWeek", "getDate",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds",
    ]);

    /// <summary>The comprehension macros in their two-argument form (<c>list.all(x, p)</c>).</summary>
    public static readonly FrozenSet<string> Macros = FrozenSet.ToFrozenSet(["all", "exists", "exists_one", "filter", "map"]);

    /// <summary>Type names usable as values (<c>type(self.x) == int</c>).</summary>
    public static readonly FrozenSet<string> TypeNames = FrozenSet.ToFrozenSet(
        ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"]);

    public static CelProgramDelegate Compile(string expression) => Shared.Value.Compile(expression);

    /// <summary>The parse tree, for <see cref="RuleSupport"/>; throws the library's parser exception on a syntax error.</summary>
    public static CelParser.StartContext Parse(string expression) => Shared.Value.Parse(expression);

    private static CelEnvironment Create()
    {
        var environment = new CelEnvironment(null, null);
        environment.RegisterStringExtensionFunctions();
        KubernetesCelLibrary.Register(environment);
        KubernetesQuantity.Register(environment);
        RuleCostMeter.Install(environment);
        return environment;
    }
}
