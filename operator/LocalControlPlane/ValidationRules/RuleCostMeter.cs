using System.Reflection;
using Cel;
using Cel.Internal;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>
/// kube-apiserver's runtime cost budget, approximated by counting comprehension iterations: the static estimate
/// (<see cref="RuleCost"/>) refuses the rules that could be costly, this stops any it missed, since rules run under the
/// store's write lock. The Cel library has no cost hook; its macros live in an internal table, so each is wrapped to
/// charge the meter of the rule being evaluated on this thread before every evaluation of its body.
/// </summary>
internal sealed class RuleCostMeter : IDisposable
{
    /// <summary>kube-apiserver's per-rule-call limit (celconfig.PerCallLimit).</summary>
    public const long PerCallLimit = 1_000_000;

    /// <summary>kube-apiserver's limit over all the rules of one write (celconfig.RuntimeCELCostBudget).</summary>
    public const long PerRequestLimit = 10_000_000;

    /// <summary>
    /// What one iteration costs. kube-apiserver charges each call, variable and field selection a unit; the smallest
    /// body (<c>y == x</c>) with the accumulator's update is about three.
    /// </summary>
    private const long IterationCost = 3;

    [ThreadStatic]
    private static RuleCostMeter? current;

    private readonly long _limit;
    private readonly RuleCostMeter? _outer;

    private RuleCostMeter(long remainingInRequest)
    {
        _limit = Math.Min(PerCallLimit, remainingInRequest);
        RequestBudgetIsTheLimit = remainingInRequest < PerCallLimit;
        _outer = current;
        current = this;
    }

    public long Used { get; private set; }

    /// <summary>The limit was passed; every further charge throws again, so the evaluation unwinds.</summary>
    public bool Exceeded { get; private set; }

    /// <summary>The write's budget ran out before this rule's own limit would have.</summary>
    public bool RequestBudgetIsTheLimit { get; }

    /// <summary>Meters the rule evaluations on this thread until disposed.</summary>
    public static RuleCostMeter Start(long remainingInRequest) => new(remainingInRequest);

    public void Dispose() => current = _outer;

    private void Charge(long cost)
    {
        Used += cost;
        if (Used > _limit)
        {
            Exceeded = true;
            throw new RuleCostExceededException(RequestBudgetIsTheLimit);
        }
    }

    /// <summary>Wraps the environment's comprehension macros so that each body evaluation charges the current meter.</summary>
    public static void Install(CelEnvironment environment)
    {
        var visitor = typeof(CelEnvironment).GetProperty("CelVisitor", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(environment);
        var macros = visitor?.GetType().GetProperty("InternalMacros", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(visitor)
            as Dictionary<string, CelMacroDelegate>
            ?? throw new InvalidOperationException("The Cel library's macro table was not found; update RuleCostMeter for this version of the library.");
        foreach (var (name, macro) in macros.ToList())
        {
            macros[name] = (target, variable, body, tryGetVariable, tryGetFunction) =>
                macro(target, variable, Metered(body), tryGetVariable, tryGetFunction);
        }
    }

    private static CelExpressionDelegate Metered(CelExpressionDelegate body) => variables =>
    {
        current?.Charge(IterationCost);
        return body(variables);
    };
}

/// <summary>A rule's evaluation stopped at its cost limit, or at what was left of the write's budget.</summary>
internal sealed class RuleCostExceededException(bool requestBudget)
    : Exception(requestBudget ? "validation failed due to running out of cost budget" : "operation cancelled: actual cost limit exceeded")
{
    public bool RequestBudget { get; } = requestBudget;
}
