package lint

import (
	"fmt"
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
)

// conditionTraps are what a condition does that Argo evaluates in a surprising way.
type conditionTraps struct {
	// indexes is the first result[...] in the text ("" when none), guarded by a len(result).
	indexes string
	guarded bool
	// defaults and isNils are calls of default()/isNil() whose first argument is not `result`.
	defaults, isNils []string
	// newer are builtins Argo's expr version does not have.
	newer []string
	// now: the condition calls now(), the wall clock.
	now bool
}

// inspectCondition walks a condition's syntax tree; ok is false when it does not parse.
func inspectCondition(condition string) (conditionTraps, bool) {
	tree, err := parser.Parse(condition)
	if err != nil {
		return conditionTraps{}, false
	}
	v := &trapVisitor{}
	ast.Walk(&tree.Node, v)
	return v.traps, true
}

type trapVisitor struct{ traps conditionTraps }

func isResult(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "result"
}

func (v *trapVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if _, isName := n.Property.(*ast.StringNode); !isName && isResult(n.Node) && v.traps.indexes == "" {
			v.traps.indexes = n.String()
		}
	case *ast.BuiltinNode:
		if n.Name == "len" && len(n.Arguments) == 1 && isResult(n.Arguments[0]) {
			v.traps.guarded = true
		}
		if n.Name == "now" {
			v.traps.now = true
		}
		if slices.Contains(evaluate.NewerBuiltins, n.Name) && !slices.Contains(v.traps.newer, n.Name) {
			v.traps.newer = append(v.traps.newer, n.Name)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) == 0 || isResult(n.Arguments[0]) {
			return
		}
		switch id.Value {
		case "default":
			v.traps.defaults = append(v.traps.defaults, n.String())
		case "isNil":
			v.traps.isNils = append(v.traps.isNils, n.String())
		}
	}
}

// conditionFindings compiles a condition against the result type its provider gives (example)
// and reports the traps: an unguarded result[i] (when vector is set: the result is a list that
// can be empty), default()/isNil() with an argument, builtins Argo does not have.
func conditionFindings(condition string, example any, vector bool, at finder) []Finding {
	var out []Finding
	if err := evaluate.Compile(condition, example); err != nil {
		return append(out, at.err(RuleCondition, fmt.Sprintf(msgConditionCompile, err)))
	}
	traps, ok := inspectCondition(condition)
	if !ok {
		return out
	}
	if vector && traps.indexes != "" && !traps.guarded {
		out = append(out, at.warn(RuleGuard, fmt.Sprintf(msgUnguardedIndex, traps.indexes)))
	}
	for _, call := range traps.defaults {
		arg := callArgument(call)
		out = append(out, at.warn(RuleNilQuirk, fmt.Sprintf(msgDefaultArgument, call, arg)))
	}
	for _, call := range traps.isNils {
		out = append(out, at.warn(RuleNilQuirk, fmt.Sprintf(msgIsNilArgument, call, callArgument(call))))
	}
	for _, name := range traps.newer {
		out = append(out, at.warn(RuleArgoExpr, fmt.Sprintf(msgNewerBuiltin, name)))
	}
	if traps.now {
		out = append(out, at.warn(RuleSimulatorOnly, msgConditionNow))
	}
	return out
}

// callArgument is the first argument's text of a printed call such as "default(result[0], 0)".
func callArgument(call string) string {
	tree, err := parser.Parse(call)
	if err != nil {
		return call
	}
	if c, ok := tree.Node.(*ast.CallNode); ok && len(c.Arguments) > 0 {
		return c.Arguments[0].String()
	}
	return call
}
