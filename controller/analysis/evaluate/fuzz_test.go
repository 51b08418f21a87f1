package evaluate

import (
	"math"
	"testing"
	"time"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// FuzzCondition evaluates arbitrary conditions over every kind of result a provider gives:
// whatever the text, evaluation returns a verdict or an error and never panics.
func FuzzCondition(f *testing.F) {
	for _, seed := range []string{
		"result[0] >= 0.95", "len(result) > 0 && result[0] < 0.9", "isNil(result) || result > 1",
		"default(result, 0) > 0.5", "asInt(result) == 2", `asFloat("x") > 1`, "isNaN(result[0])",
		"all(result, # > 0)", "result.data.ok", `result == "green"`, "1 / 0 > 1", "result[0:2] == []",
		`fromJSON("{") != nil`, "repeat(\"a\", 1000000000) != \"\"", "map(1..1000000, #) != nil",
	} {
		f.Add(seed, uint8(0), 0.5)
	}
	f.Fuzz(func(t *testing.T, condition string, kind uint8, x float64) {
		results := []any{
			x, []float64{x}, []float64{}, []float64(nil), nil, map[string]any{"v": x, "ok": true},
			[]any{x, "s"}, "s", true, &x, math.NaN(),
		}
		result := results[int(kind)%len(results)]
		_, _ = Condition(result, condition)
		_ = Compile(condition, result)
		_, _ = Result(result, v1alpha1.Metric{SuccessCondition: condition, FailureCondition: condition})
		_, _ = Time(condition, time.Unix(0, 0))
	})
}
