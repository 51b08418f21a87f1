package evaluate

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

const (
	successful   = v1alpha1.AnalysisPhaseSuccessful
	failed       = v1alpha1.AnalysisPhaseFailed
	inconclusive = v1alpha1.AnalysisPhaseInconclusive
	errored      = v1alpha1.AnalysisPhaseError
)

// TestResultTruthTable mirrors Argo's EvaluateResult: every combination of conditions set and
// their outcomes.
func TestResultTruthTable(t *testing.T) {
	const yes, no = "result > 0.5", "result < 0.5"
	cases := []struct {
		name             string
		success, failure string
		want             v1alpha1.AnalysisPhase
	}{
		{"no conditions is successful", "", "", successful},
		{"only success, true", yes, "", successful},
		{"only success, false is failed", no, "", failed},
		{"only failure, true", "", yes, failed},
		{"only failure, false is successful", "", no, successful},
		{"both, success true failure false", yes, no, successful},
		{"both, success false failure true", no, yes, failed},
		{"both true: failure wins", yes, yes, failed},
		{"both false: inconclusive", no, no, inconclusive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Result(0.9, v1alpha1.Metric{SuccessCondition: tc.success, FailureCondition: tc.failure})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestVerdictTable(t *testing.T) {
	cases := []struct {
		hasS, s, hasF, f bool
		want             v1alpha1.AnalysisPhase
	}{
		{false, false, false, false, successful},
		{false, false, false, true, successful}, // values of absent conditions do not count
		{true, true, false, false, successful},
		{true, false, false, false, failed},
		{false, false, true, true, failed},
		{false, false, true, false, successful},
		{true, true, true, false, successful},
		{true, false, true, true, failed},
		{true, true, true, true, failed},
		{true, false, true, false, inconclusive},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("success=%v/%v failure=%v/%v", tc.hasS, tc.s, tc.hasF, tc.f), func(t *testing.T) {
			assert.Equal(t, tc.want, Verdict(tc.hasS, tc.s, tc.hasF, tc.f))
		})
	}
}

func TestResultErrors(t *testing.T) {
	cases := []struct {
		name             string
		result           any
		success, failure string
		want             string
	}{
		{"empty vector indexed", []float64{}, "result[0] > 0.9", "", "index out of range: 0 (array length is 0)"},
		{"error in failure condition", []float64{}, "len(result) == 0", "result[0] > 0.9", "index out of range: 0 (array length is 0)"},
		{"scalar indexed does not compile", 0.5, "result[0] > 0.9", "", "type float64[int] is undefined"},
		{"unknown name", 0.5, "foo > 1", "", "unknown name foo"},
		{"syntax error", 0.5, "result >", "", "unexpected token EOF"},
		{"not a boolean", 0.5, "result", "", "expected bool, but got float64"},
		{"asInt of text", "abc", "asInt(result) > 1", "", `strconv.ParseInt: parsing "abc": invalid syntax`},
		{"asFloat of a list", []float64{1}, "asFloat(result) > 1", "", "asFloat() not supported on []float64 [1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Result(tc.result, v1alpha1.Metric{SuccessCondition: tc.success, FailureCondition: tc.failure})
			assert.Equal(t, errored, got)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestConditionFunctions(t *testing.T) {
	f := 2.5
	var nilSlice []float64
	var nilPtr *float64
	cases := []struct {
		name      string
		result    any
		condition string
		want      bool
	}{
		{"asInt of float truncates", 2.9, "asInt(result) == 2", true},
		{"asInt of numeric string", "42", "asInt(result) == 42", true},
		{"asFloat of numeric string", "0.25", "asFloat(result) == 0.25", true},
		{"asFloat of int", 3, "asFloat(result) == 3.0", true},
		{"isNaN", math.NaN(), "isNaN(result)", true},
		{"NaN compares false", math.NaN(), "result > 0 || result <= 0", false},
		{"isInf positive", math.Inf(1), "isInf(result)", true},
		{"isInf negative", math.Inf(-1), "isInf(result)", true},
		{"isInf finite", 1.0, "isInf(result)", false},
		{"isNil of nil", nil, "isNil(result)", true},
		{"isNil of nil slice", nilSlice, "isNil(result)", true},
		{"isNil of empty vector", []float64{}, "isNil(result)", false},
		{"isNil of nil pointer", nilPtr, "isNil(result)", true},
		// Argo's isNil and default ignore their argument and test the whole result
		{"isNil ignores its argument (nil result)", nil, "isNil(1)", true},
		{"isNil ignores its argument (some result)", 1.0, "isNil(nil)", false},
		{"default on nil result", nil, "default(result, 5) == 5", true},
		{"default on set result", 7.0, "default(result, 5) == 7", true},
		{"default ignores its argument", 7.0, "default(1, 5) == 7", true},
		{"pointer is dereferenced", &f, "result == 2.5", true},
		{"builtin len", []float64{1, 2, 3}, "len(result) == 3", true},
		{"builtin all", []float64{1, 2, 3}, "all(result, # > 0)", true},
		{"builtin any", []float64{1, 2, 3}, "any(result, # > 2.5)", true},
		{"builtin sum and division", []float64{1, 2, 3}, "sum(result) / len(result) == 2", true},
		{"builtin max", []float64{1, 5, 3}, "max(result) == 5", true},
		{"map result", map[string]any{"ok": true, "n": 3.0}, "result.ok && result.n > 2", true},
		{"builtin filter and count", []float64{1, 2, 3}, "len(filter(result, # > 1)) == 2 && count(result, # > 2) == 1", true},
		{"builtin map", []float64{1, 2}, "map(result, # * 2)[1] == 4", true},
		{"builtin none and one", []float64{1, 2, 3}, "none(result, # > 5) && one(result, # == 2)", true},
		{"builtin mean and median", []float64{1, 2, 6}, "mean(result) == 3 && median(result) == 2", true},
		{"builtin min, abs, ceil, floor, round", []float64{-1.5, 2}, "abs(min(result)) == 1.5 && ceil(1.2) == 2 && floor(1.8) == 1 && round(1.5) == 2", true},
		{"builtin first and last", []float64{1, 2, 3}, "first(result) == 1 && last(result) == 3", true},
		{"builtin string functions", "Healthy", `lower(result) == "healthy" && hasPrefix(result, "He") && upper(trim(" ok ")) == "OK"`, true},
		{"operator in", "green", `result in ["green", "blue"]`, true},
		{"ternary", 0.5, "(result > 0.9 ? 1 : 0) == 0", true},
		{"nil coalescing", map[string]any{"a": nil}, "(result.a ?? 3) == 3", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Condition(tc.result, tc.condition)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestArgoQuirkWhereItBites shows what the quirk of default() and isNil() does to conditions
// written as if they took their argument: Argo gives the same errors and verdicts.
func TestArgoQuirkWhereItBites(t *testing.T) {
	// default(result[0], 0) is the whole vector, not result[0]: comparing it is an error
	_, err := Condition([]float64{0.99}, "default(result[0], 0) >= 0.95")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid operation")
	// isNil(result[0]) evaluates result[0] first: no guard against an empty vector
	_, err = Condition([]float64{}, "isNil(result[0]) || result[0] > 0.5")
	require.Error(t, err)
	assert.Equal(t, "index out of range: 0 (array length is 0)", err.Error())
	// isNil(x) is false whenever a result came, whatever x is
	got, err := Condition(map[string]any{"v": nil}, "isNil(result.v)")
	require.NoError(t, err)
	assert.False(t, got)
	// the guard that works
	got, err = Condition([]float64{}, "len(result) > 0 && result[0] > 0.5")
	require.NoError(t, err)
	assert.False(t, got)
}

// TestCompiledOnceServesEveryResult runs one cached program with different results of the same
// type, and the same text with results of different types.
func TestCompiledOnceServesEveryResult(t *testing.T) {
	const cond = "isNil(result) || result[0] > 0.5"
	for _, tc := range []struct {
		result []float64
		want   bool
	}{{[]float64{0.9}, true}, {[]float64{0.1}, false}, {[]float64{0.6}, true}} {
		got, err := Condition(tc.result, cond)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%v", tc.result)
	}
	n := 0
	programs.Range(func(k, _ any) bool {
		if k.(programKey).source == cond {
			n++
		}
		return true
	})
	assert.Equal(t, 1, n, "one program for one text and one result type")

	// a nil slice is a nil result: expr type-checks `result[0]` against an unknown type and
	// refuses it, so the same text is an error there (as it is with Argo's evaluation)
	_, err := Condition([]float64(nil), cond)
	require.Error(t, err)
	assert.Equal(t, "type unknown[int] is undefined", err.Error())

	got, err := Condition(0.7, "result > 0.5")
	require.NoError(t, err)
	assert.True(t, got)
	got, err = Condition(map[string]any{"x": 1}, "result.x > 0")
	require.NoError(t, err)
	assert.True(t, got)
}

func TestConditionConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			v := float64(i)
			got, err := Condition([]float64{v}, "result[0] >= 32")
			assert.NoError(t, err)
			assert.Equal(t, v >= 32, got)
		})
	}
	wg.Wait()
}

func TestTime(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		expr string
		want time.Time
	}{
		{"now()", now},
		{`now() - duration("5m")`, now.Add(-5 * time.Minute)},
		{`now() + duration("1h30m")`, now.Add(90 * time.Minute)},
		{`date("2030-01-02T03:04:05Z")`, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := Time(tc.expr, now)
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(got), "got %v", got)
		})
	}
	later, err := Time("now()", now.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, now.Add(time.Hour).Equal(later), "now() is the given time on every call")

	_, err = Time("1 + 1", now)
	require.Error(t, err)
	assert.Equal(t, "expected time.Time, but got int", err.Error())
	_, err = Time("now(", now)
	require.Error(t, err)
}
