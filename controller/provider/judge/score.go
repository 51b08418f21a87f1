package judge

import (
	"math"
	"slices"
)

// DefaultGroup is the group of a query that names none.
const DefaultGroup = "default"

// Default score thresholds.
const (
	DefaultPass     = 95.0
	DefaultMarginal = 75.0
)

// Judged is one query's result with how it counts towards the score.
type Judged struct {
	Name     string
	Group    string
	Critical bool
	Result   Result
}

// GroupScore is one group's share of passing queries, from 0 to 100.
type GroupScore struct {
	Name   string
	Score  float64
	Weight float64
	// NoData: every query of the group was NoData; the group does not count.
	NoData bool
}

// Summary is the canary's score.
type Summary struct {
	// Score is from 0 to 100, rounded to two decimals.
	Score float64
	// Groups are in order of first appearance.
	Groups []GroupScore
	// NoData: no group had data, so there is no score.
	NoData bool
	// CriticalFailure names the first critical query that was High or Low; the score is then 0.
	CriticalFailure string
}

// Summarize scores judged queries as Kayenta's score calculator does: a group scores the share
// of its queries that Pass (NoData queries left out), and the summary is the groups' weighted
// mean over the groups with data. A group's weight is weights[group] when listed; groups not
// listed share what is left of 100 equally, and a group of weight 0 does not count. A critical
// query that is High or Low makes the score 0.
func Summarize(queries []Judged, weights map[string]float64) Summary {
	var order []string
	counts := map[string]*[2]int{} // pass, classified
	for _, q := range queries {
		g := q.Group
		if g == "" {
			g = DefaultGroup
		}
		c, ok := counts[g]
		if !ok {
			c = &[2]int{}
			counts[g] = c
			order = append(order, g)
		}
		switch q.Result.Classification {
		case Pass:
			c[0]++
			c[1]++
		case High, Low:
			c[1]++
		}
	}

	listed, unlisted := 0.0, 0
	for _, g := range order {
		if w, ok := weights[g]; ok {
			listed += math.Max(0, w)
		} else {
			unlisted++
		}
	}
	share := 0.0
	if unlisted > 0 {
		share = math.Max(0, 100-listed) / float64(unlisted)
	}

	var s Summary
	var weighted, total float64
	for _, g := range order {
		c := counts[g]
		gs := GroupScore{Name: g, Weight: share}
		if w, ok := weights[g]; ok {
			gs.Weight = math.Max(0, w)
		}
		if c[1] == 0 {
			gs.NoData = true
		} else {
			gs.Score = 100 * float64(c[0]) / float64(c[1])
			weighted += gs.Weight * gs.Score
			total += gs.Weight
		}
		s.Groups = append(s.Groups, gs)
	}
	if i := slices.IndexFunc(queries, func(q Judged) bool {
		return q.Critical && (q.Result.Classification == High || q.Result.Classification == Low)
	}); i >= 0 {
		s.CriticalFailure = queries[i].Name
		return s
	}
	if total == 0 {
		s.NoData = true
		return s
	}
	s.Score = math.Round(weighted/total*100) / 100
	return s
}
