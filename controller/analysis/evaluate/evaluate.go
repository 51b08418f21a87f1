// Package evaluate judges measurement results with Argo Rollouts' success and failure condition expressions.
package evaluate

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Result turns a measured value into a measurement phase with the metric's conditions, by Argo's
// truth table: no conditions is Successful; only a success condition makes a false one Failed;
// only a failure condition makes a false one Successful; with both, a true failure condition wins,
// then a true success condition, and neither true is Inconclusive. An error in either condition
// makes the phase Error.
func Result(result any, metric v1alpha1.Metric) (v1alpha1.AnalysisPhase, error) {
	var succeeded, failed bool
	if metric.SuccessCondition != "" {
		ok, err := Condition(result, metric.SuccessCondition)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, err
		}
		succeeded = ok
	}
	if metric.FailureCondition != "" {
		ok, err := Condition(result, metric.FailureCondition)
		if err != nil {
			return v1alpha1.AnalysisPhaseError, err
		}
		failed = ok
	}
	return Verdict(metric.SuccessCondition != "", succeeded, metric.FailureCondition != "", failed), nil
}

// Verdict is the truth table of Result once the conditions have been evaluated: has* says whether
// a condition is set, the other two what it evaluated to.
func Verdict(hasSuccess, succeeded, hasFailure, failed bool) v1alpha1.AnalysisPhase {
	switch {
	case !hasSuccess && !hasFailure:
		return v1alpha1.AnalysisPhaseSuccessful
	case hasSuccess && !hasFailure:
		failed = !succeeded
	case !hasSuccess && hasFailure:
		succeeded = !failed
	}
	switch {
	case failed:
		return v1alpha1.AnalysisPhaseFailed
	case succeeded:
		return v1alpha1.AnalysisPhaseSuccessful
	default:
		return v1alpha1.AnalysisPhaseInconclusive
	}
}

// Condition evaluates one condition over result. The expression sees `result` (a pointer is
// dereferenced), the helpers asInt, asFloat, isNaN, isInf, isNil and default, and expr's builtins.
// As in Argo, isNil(x) and default(x, d) look at the whole result, whatever x is.
func Condition(result any, condition string) (bool, error) {
	value := deref(result)
	env := map[string]any{
		"result":  value,
		"asInt":   asInt,
		"asFloat": asFloat,
		"isNaN":   math.IsNaN,
		"isInf":   isInf,
		"isNil":   func(any) bool { return isNil(result) },
		"default": func(_ any, fallback any) any {
			if isNil(result) {
				return fallback
			}
			return value
		},
	}
	out, err := run(conditionKind, condition, reflect.TypeOf(value), env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf(errNotBool, out)
	}
	return b, nil
}

// Time evaluates an expression that yields a point in time, such as `now() - duration("5m")`,
// as Argo does for a Prometheus range query's start and end; now() is the given time, never the
// wall clock.
func Time(expression string, now time.Time) (time.Time, error) {
	env := map[string]any{
		"isNaN": math.IsNaN,
		"isInf": isInf,
		"now":   func() time.Time { return now },
	}
	out, err := run(timeKind, expression, nil, env)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf(errNotTime, out)
	}
	return t, nil
}

// Messages of evaluation errors that are ours rather than expr's (Argo's wording).
const (
	errNotBool = "expected bool, but got %T"
	errNotTime = "expected time.Time, but got %T"
)

type exprKind int

const (
	conditionKind exprKind = iota
	timeKind
)

// programKey identifies a compiled program: expr type-checks against the environment, so the
// same text compiled for a float64 result and for a []float64 result are different programs
// (and `result[0]` compiles only for the second).
type programKey struct {
	kind       exprKind
	source     string
	resultType reflect.Type
}

type compiled struct {
	program *vm.Program
	err     error
}

// programs caches compiled expressions (and compile errors) for the life of the process: a
// simulation evaluates the same few conditions thousands of times. The environment's functions
// are looked up at run time, so one program serves every result of the same type. Past
// maxCachedPrograms entries (only a fuzzer writes that many conditions) programs are compiled
// for each use and not kept.
var (
	programs       sync.Map // programKey -> compiled
	cachedPrograms atomic.Int64
)

const maxCachedPrograms = 4096

func run(kind exprKind, source string, resultType reflect.Type, env map[string]any) (any, error) {
	key := programKey{kind: kind, source: source, resultType: resultType}
	c, ok := programs.Load(key)
	if !ok {
		p, err := expr.Compile(source, expr.Env(env))
		c = compiled{program: p, err: unwrap(err)}
		if cachedPrograms.Load() < maxCachedPrograms {
			var loaded bool
			if c, loaded = programs.LoadOrStore(key, c); !loaded {
				cachedPrograms.Add(1)
			}
		}
	}
	cc := c.(compiled)
	if cc.err != nil {
		return nil, cc.err
	}
	out, err := expr.Run(cc.program, env)
	if err != nil {
		return nil, unwrap(err)
	}
	return out, nil
}

// unwrap keeps only the message of expr's positioned errors (no source excerpt), as Argo does.
func unwrap(err error) error {
	if fe, ok := err.(*file.Error); ok {
		return errors.New(fe.Message)
	}
	return err
}

func isInf(f float64) bool { return math.IsInf(f, 0) }

// asInt converts numbers and numeric strings to int64; anything else aborts the evaluation
// (expr reports the panic as the evaluation error, as with Argo's function).
func asInt(in any) int64 {
	switch v := in.(type) {
	case float64:
		return int64(v)
	case float32:
		return int64(v)
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case uint:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return int64(v)
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			panic(err)
		}
		return n
	}
	panic(fmt.Sprintf("asInt() not supported on %v %v", reflect.TypeOf(in), in))
}

// asFloat converts numbers and numeric strings to float64, like asInt.
func asFloat(in any) float64 {
	switch v := in.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int8:
		return float64(v)
	case int16:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case uint:
		return float64(v)
	case uint8:
		return float64(v)
	case uint16:
		return float64(v)
	case uint32:
		return float64(v)
	case uint64:
		return float64(v)
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			panic(err)
		}
		return f
	}
	panic(fmt.Sprintf("asFloat() not supported on %v %v", reflect.TypeOf(in), in))
}

// isNil reports whether v is nil or a nil pointer, map, slice or channel.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan:
		return reflect.ValueOf(v).IsNil()
	}
	return false
}

// deref returns what a non-nil pointer points to, nil for any nil value, else v itself.
func deref(v any) any {
	if isNil(v) {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		return rv.Elem().Interface()
	}
	return v
}
