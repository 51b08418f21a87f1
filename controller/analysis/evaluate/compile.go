package evaluate

import (
	"math"

	"github.com/expr-lang/expr"
)

// ArgoBuiltins are the builtin functions of github.com/antonmedv/expr v1.15.5, the expression
// language of Argo Rollouts v1.9.1. canarydrill evaluates with github.com/expr-lang/expr, which
// has these and a few more (NewerBuiltins); a condition that uses one of those works here and
// fails to compile under Argo.
var ArgoBuiltins = []string{
	"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
	"count", "groupBy", "reduce", "len", "type", "abs", "ceil", "floor", "round", "int", "float",
	"string", "trim", "trimPrefix", "trimSuffix", "upper", "lower", "split", "splitAfter", "replace",
	"repeat", "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix", "max", "min", "sum", "mean",
	"median", "toJSON", "fromJSON", "toBase64", "fromBase64", "now", "duration", "date", "first",
	"last", "get", "take", "keys", "values", "toPairs", "fromPairs", "sort", "sortBy",
}

// NewerBuiltins are expr builtins that Argo Rollouts v1.9.1's expr v1.15.5 does not have.
var NewerBuiltins = []string{
	"bitand", "bitnand", "bitnot", "bitor", "bitshl", "bitshr", "bitushr", "bitxor",
	"concat", "flatten", "reverse", "timezone", "uniq",
}

// Compile checks a condition as a measurement would see it, without a measurement: example is a
// value of the type the provider gives `result` (a float64 for a Prometheus scalar, a []float64
// for a vector, nil when any JSON value can come, as from a web metric), and the expression must
// yield a bool. The error is expr's message without its source excerpt, as Condition reports it.
func Compile(condition string, example any) error {
	var env any = anyEnv{}
	if value := deref(example); value != nil {
		env = map[string]any{
			"result":  value,
			"asInt":   asInt,
			"asFloat": asFloat,
			"isNaN":   math.IsNaN,
			"isInf":   isInf,
			"isNil":   func(any) bool { return false },
			"default": func(_ any, fallback any) any { return fallback },
		}
	}
	_, err := expr.Compile(condition, expr.Env(env), expr.AsBool())
	return unwrap(err)
}

// anyEnv is the environment of a result whose type is not known before it comes: `result` is
// an interface, so expr checks its uses at run time only.
type anyEnv struct {
	Result  any                           `expr:"result"`
	AsInt   func(any) int64               `expr:"asInt"`
	AsFloat func(any) float64             `expr:"asFloat"`
	IsNaN   func(float64) bool            `expr:"isNaN"`
	IsInf   func(float64) bool            `expr:"isInf"`
	IsNil   func(any) bool                `expr:"isNil"`
	Default func(_ any, fallback any) any `expr:"default"`
}
