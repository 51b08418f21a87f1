package evaluate

import (
	"testing"

	"github.com/expr-lang/expr/builtin"
	"github.com/stretchr/testify/assert"
)

func TestCompile(t *testing.T) {
	cases := []struct {
		name      string
		condition string
		example   any
		wantErr   string
	}{
		{"vector index", "result[0] >= 0.95", []float64{}, ""},
		{"scalar compare", "result >= 0.95", 0.0, ""},
		{"indexing a scalar", "result[0] >= 0.95", 0.0, "type float64[int] is undefined"},
		{"not a bool", "result[0]", []float64{}, "expected bool, but got float64"},
		{"any value from a web metric", "result.data.ok == true", nil, ""},
		{"helpers are known", "isNil(result) || default(result, 0) > 1 || isNaN(asFloat(result)) || isInf(asInt(result) * 1.0)", nil, ""},
		{"unknown function", "percentile(result, 99) > 1", []float64{}, "unknown name percentile"},
		{"syntax error", "result[0] >=", []float64{}, "unexpected token EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Compile(tc.condition, tc.example)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tc.wantErr)
			}
		})
	}
}

// TestBuiltinsCoverArgos: every builtin of Argo's expr version is one of ours, and the newer
// ones are listed, so that lint can warn about them.
func TestBuiltinsCoverArgos(t *testing.T) {
	for _, name := range ArgoBuiltins {
		_, ok := builtin.Index[name]
		assert.True(t, ok, name)
	}
	known := map[string]bool{}
	for _, n := range append(ArgoBuiltins, NewerBuiltins...) {
		known[n] = true
	}
	for _, name := range builtin.Names {
		if name[0] == '$' {
			continue
		}
		assert.True(t, known[name], "builtin %q is neither Argo's nor listed as newer", name)
	}
}
