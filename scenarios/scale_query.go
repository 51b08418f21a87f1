package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// minScaledWindow is the shortest scrape interval, analysis interval, range window or step a
// scaled scenario may have: below a second, the wall-clock jitter of scrapes and reconciles on a
// shared machine (tens of milliseconds) becomes a sizeable share of the window it blurs.
const minScaledWindow = time.Second

// promParser parses PromQL as a Prometheus server does with its default features.
var promParser = parser.NewParser(parser.Options{})

// argPlaceholder is Argo's {{args.name}} (and any other {{...}}) substitution in a query.
var argPlaceholder = regexp.MustCompile(`\{\{[^{}]*\}\}`)

// scaleQuery multiplies every range window, subquery range and step, offset and predict_linear
// horizon of the PromQL query q by f. It returns q unchanged when nothing in it is a duration,
// so that a query without windows keeps its author's layout, and otherwise Prometheus' own
// rendering of the scaled expression. Each problem is one line without the field path.
func scaleQuery(q string, f float64) (string, []string) {
	if strings.TrimSpace(q) == "" {
		return q, nil
	}
	parsed, restore := hidePlaceholders(q)
	e, err := promParser.ParseExpr(parsed)
	if err != nil {
		msg := fmt.Sprintf("query does not parse, so its windows cannot be scaled: %s", firstLine(err.Error()))
		if parsed != q {
			msg += " (a {{args...}} placeholder where PromQL wants a duration or number is an argument that would need scaling too)"
		}
		return q, []string{msg}
	}
	var probs []string
	changed := false
	scale := func(d time.Duration) time.Duration {
		changed = true
		return scaleDuration(d, f)
	}
	window := func(what string, from time.Duration) time.Duration {
		to := scale(from)
		if to < minScaledWindow {
			probs = append(probs, fmt.Sprintf("%s %s scales to %s, below the %s floor", what,
				promDuration(from), promDuration(to), FormatDuration(minScaledWindow)))
		}
		return to
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if n.RangeExpr != nil {
				probs = append(probs, fmt.Sprintf("range [%s] is a duration expression, which cannot be scaled: write a plain duration", n.RangeExpr))
				return nil
			}
			n.Range = window("range", n.Range)
		case *parser.SubqueryExpr:
			switch {
			case n.RangeExpr != nil || n.StepExpr != nil || n.OriginalOffsetExpr != nil:
				probs = append(probs, "a subquery with a duration expression cannot be scaled: write plain durations")
				return nil
			case n.Step == 0:
				// Without a step, Prometheus uses its evaluation interval: a server setting
				// that no scenario field scales.
				probs = append(probs, fmt.Sprintf("subquery [%s:] has no step, so it takes the server's evaluation interval, which does not scale: give the step", promDuration(n.Range)))
			default:
				n.Step = window("subquery step", n.Step)
			}
			n.Range = window("subquery range", n.Range)
			if n.OriginalOffset != 0 {
				n.OriginalOffset = scale(n.OriginalOffset)
			}
		case *parser.VectorSelector:
			if n.OriginalOffsetExpr != nil {
				probs = append(probs, fmt.Sprintf("offset %s is a duration expression, which cannot be scaled: write a plain duration", n.OriginalOffsetExpr))
				return nil
			}
			if n.OriginalOffset != 0 {
				n.OriginalOffset = scale(n.OriginalOffset)
			}
		case *parser.Call:
			// predict_linear's second argument is a horizon in seconds.
			if n.Func.Name == "predict_linear" && len(n.Args) == 2 {
				if lit, ok := n.Args[1].(*parser.NumberLiteral); ok {
					lit.Val = math.Round(lit.Val*f*1000) / 1000
					changed = true
				} else {
					probs = append(probs, "predict_linear's horizon is an expression, which cannot be scaled: write a number of seconds")
				}
			}
		}
		return nil
	})
	if !changed {
		return q, probs
	}
	return restore(e.String()), probs
}

// hidePlaceholders replaces each {{...}} with an identifier that PromQL accepts inside a string
// and as a name, and returns a function that puts the placeholders back.
func hidePlaceholders(q string) (string, func(string) string) {
	found := argPlaceholder.FindAllString(q, -1)
	if len(found) == 0 {
		return q, func(s string) string { return s }
	}
	prefix := "__cdarg"
	for strings.Contains(q, prefix) {
		prefix += "x"
	}
	tokens := map[string]string{}
	i := 0
	hidden := argPlaceholder.ReplaceAllStringFunc(q, func(m string) string {
		t := prefix + strconv.Itoa(i) + "__"
		i++
		tokens[t] = m
		return t
	})
	return hidden, func(s string) string {
		for t, m := range tokens {
			s = strings.ReplaceAll(s, t, m)
		}
		return s
	}
}

// scaleDuration multiplies d by f to the millisecond, the finest unit Prometheus prints.
func scaleDuration(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f)).Round(time.Millisecond)
}

// promDuration prints d as PromQL does ("1m", "1s500ms").
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// durationCall is a duration("5m") call in a range query's start or end expression.
var durationCall = regexp.MustCompile(`duration\(\s*"([^"]*)"\s*\)`)

// scaleDurationCalls scales the duration("...") literals of an Argo range query expression.
func scaleDurationCalls(s string, f float64) (string, []string) {
	var probs []string
	out := durationCall.ReplaceAllStringFunc(s, func(m string) string {
		lit := durationCall.FindStringSubmatch(m)[1]
		d, err := time.ParseDuration(lit)
		if err != nil {
			probs = append(probs, fmt.Sprintf("duration(%q) is not a Go duration, so it cannot be scaled", lit))
			return m
		}
		return fmt.Sprintf("duration(%q)", FormatDuration(scaleDuration(d, f)))
	})
	return out, probs
}
