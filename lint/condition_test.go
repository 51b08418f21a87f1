package lint

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInspectCondition(t *testing.T) {
	cases := []struct {
		condition string
		want      conditionTraps
	}{
		{"result[0] >= 0.95", conditionTraps{indexes: "result[0]"}},
		{"len(result) > 0 && result[0] >= 0.95", conditionTraps{indexes: "result[0]", guarded: true}},
		{"len(result) == 0 || result[0] < 0.05", conditionTraps{indexes: "result[0]", guarded: true}},
		{"result > 0.5", conditionTraps{}},
		{"result.data.ok", conditionTraps{}},
		{"all(result, # > 0)", conditionTraps{}},
		{"default(result, 0) > 1 && isNil(result) == false", conditionTraps{}},
		{"default(result[0], 0) > 1", conditionTraps{indexes: "result[0]", defaults: []string{"default(result[0], 0)"}}},
		{"isNil(result.v)", conditionTraps{isNils: []string{"isNil(result.v)"}}},
		{"len(uniq(result)) > 1 && len(reverse(result)) > 0", conditionTraps{guarded: false, newer: []string{"uniq", "reverse"}}},
	}
	for _, tc := range cases {
		t.Run(tc.condition, func(t *testing.T) {
			got, ok := inspectCondition(tc.condition)
			assert.True(t, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	_, ok := inspectCondition("result[0] >=")
	assert.False(t, ok)
}

func TestConditionFindings(t *testing.T) {
	at := finder{file: "t.yaml", kind: "AnalysisTemplate", name: "t", field: "spec.metrics[0].successCondition"}
	cases := []struct {
		name      string
		condition string
		example   any
		vector    bool
		want      []string // rule/severity of each finding
	}{
		{"clean", "len(result) > 0 && result[0] >= 0.95", []float64{}, true, nil},
		{"unguarded", "result[0] >= 0.95", []float64{}, true, []string{"unguarded-index/warning"}},
		{"a scalar is not indexed", "result >= 0.95", 0.0, false, nil},
		{"indexing a scalar does not compile", "result[0] >= 0.95", 0.0, false, []string{"condition/error"}},
		{"not a bool", "result[0] * 2", []float64{}, true, []string{"condition/error"}},
		{"quirk", "default(result[0], 0) >= 0.95", nil, false, []string{"default-isnil-argument/warning"}},
		{"newer builtin", "len(uniq(result)) > 0", []float64{}, true, []string{"argo-expr-version/warning"}},
		{"wall clock", "now().Hour() > 8 && result > 1", 0.0, false, []string{"simulator/warning"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range conditionFindings(tc.condition, tc.example, tc.vector, at) {
				got = append(got, f.Rule+"/"+string(f.Severity))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
