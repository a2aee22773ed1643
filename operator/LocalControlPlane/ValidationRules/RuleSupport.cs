using System.Collections.Immutable;
using Antlr4.Runtime.Tree;
using Cel.Internal;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>What a rule needs that the emulator cannot evaluate (kube-apiserver may), or that no CEL environment declares.</summary>
internal sealed record RuleProblem(string Text, bool EmulatorLimit);

internal sealed record RuleAnalysis(IReadOnlyList<RuleProblem> Problems, bool UsesOldSelf);

/// <summary>
/// The check kube-apiserver's type checker makes at CRD create/update, as far as names go: every function, macro and
/// identifier a rule uses must be one the environment declares. The Cel library only finds an unknown function when a
/// rule runs, so without this a CRD would be accepted and every later write would fail; with it, the CRD is refused
/// and the message names what the emulator cannot evaluate (optional types, two-variable comprehensions, the
/// quantity/ip/cidr/format libraries, ...). Field names are not type-checked: a misspelt field is a runtime
/// "no such key" here, a compile error in kube-apiserver.
/// </summary>
internal static class RuleSupport
{
    public static RuleAnalysis Analyze(CelParser.StartContext tree, IEnumerable<string> variables)
    {
        var walker = new Walker();
        walker.Walk(tree, [.. variables]);
        return new RuleAnalysis(walker.Problems, walker.UsesOldSelf);
    }

    private sealed class Walker
    {
        public List<RuleProblem> Problems { get; } = [];
        public bool UsesOldSelf { get; private set; }

        public void Walk(IParseTree node, ImmutableHashSet<string> scope)
        {
            switch (node)
            {
                case CelParser.SelectContext select:
                    if (select.opt is not null)
                    {
                        Unsupported($"optional field selection ('.?{select.id?.Text}')");
                    }
                    Walk(select.member(), scope);
                    return;
                case CelParser.IndexContext index:
                    if (index.opt is not null)
                    {
                        Unsupported("optional indexing ('[?...]')");
                    }
                    break;
                case CelParser.OptExprContext { opt: not null }:
                case CelParser.OptFieldContext { opt: not null }:
                    Unsupported("optional entries ('{?key: value}', '[?value]')");
                    break;
                case CelParser.CreateMessageContext create:
                    Unsupported($"message construction ('{string.Join(".", create._ids.Select(t => t.Text))}{{...}}')");
                    return;
                case CelParser.MemberCallContext call:
                    WalkMemberCall(call, scope);
                    return;
                case CelParser.IdentOrGlobalCallContext identifier:
                    WalkIdentifier(identifier, scope);
                    return;
            }
            for (var i = 0; i < node.ChildCount; i++)
            {
                Walk(node.GetChild(i), scope);
            }
        }

        private void WalkMemberCall(CelParser.MemberCallContext call, ImmutableHashSet<string> scope)
        {
            var name = call.id.Text;
            var args = call.exprList()?._e ?? [];
            if (CelRuntime.Macros.Contains(name) && args.Count == 2)
            {
                var variable = args[0].GetText();
                if (!IsIdentifier(variable))
                {
                    Invalid($"the first argument of {name}() must be a simple name, not '{variable}'");
                }
                Walk(call.member(), scope);
                Walk(args[1], scope.Add(variable));
                return;
            }
            if (CelRuntime.Macros.Contains(name) && args.Count == 3)
            {
                Unsupported(name == "map" ? "map() with a filter (three arguments)" : $"the two-variable comprehension {name}(i, v, ...)");
                return;
            }
            if (call.member() is CelParser.PrimaryExprContext { } primary && primary.primary() is CelParser.IdentOrGlobalCallContext { op: null } ns
                && !scope.Contains(ns.id.Text) && !CelRuntime.TypeNames.Contains(ns.id.Text))
            {
                Unsupported($"function {ns.id.Text}.{name}()");
                return;
            }
            else if (!CelRuntime.MemberFunctions.Contains(name))
            {
                // Not walking the arguments: an unknown macro's variables would each read as undeclared.
                Unsupported($"function {name}()");
                Walk(call.member(), scope);
                return;
            }
            else
            {
                Walk(call.member(), scope);
            }
            foreach (var arg in args)
            {
                Walk(arg, scope);
            }
        }

        private void WalkIdentifier(CelParser.IdentOrGlobalCallContext identifier, ImmutableHashSet<string> scope)
        {
            var name = identifier.id.Text;
            if (identifier.op is null)
            {
                if (name == "oldSelf")
                {
                    UsesOldSelf = true;
                }
                if (!scope.Contains(name) && !CelRuntime.TypeNames.Contains(name))
                {
                    Invalid($"undeclared reference to '{name}'");
                }
                return;
            }
            var args = identifier.exprList()?._e ?? [];
            if (name == "has" && (args.Count != 1 || !args[0].GetText().Contains('.', StringComparison.Ordinal)))
            {
                Invalid("has() needs a field selection such as has(self.field)");
            }
            else if (!CelRuntime.GlobalFunctions.Contains(name))
            {
                Unsupported($"function {name}()");
                return;
            }
            foreach (var a in args)
            {
                Walk(a, scope);
            }
        }

        private static bool IsIdentifier(string text) =>
            text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private void Unsupported(string what) => Problems.Add(new RuleProblem(what, EmulatorLimit: true));

        private void Invalid(string what) => Problems.Add(new RuleProblem(what, EmulatorLimit: false));
    }
}
