package fakeprom

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// apiResp is a Prometheus HTTP API answer, decoded far enough to compare
// two servers' answers: status, error type, result type, and the result as
// series keyed by their labels.
type apiResp struct {
	code      int
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
	Warnings  []string        `json:"warnings"`
	Infos     []string        `json:"infos"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type respSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []json.Number     `json:"value"`  // vector
	Values [][]json.Number   `json:"values"` // matrix
}

type point struct {
	tMillis int64
	v       float64
}

// call sends a GET with params to base+path through rt.
func call(rt http.RoundTripper, base, path string, params url.Values) (apiResp, error) {
	req, err := http.NewRequest(http.MethodGet, base+path+"?"+params.Encode(), nil)
	if err != nil {
		return apiResp{}, err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return apiResp{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResp{}, err
	}
	r, err := decodeAPI(resp.StatusCode, body)
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func decodeAPI(code int, body []byte) (apiResp, error) {
	r := apiResp{code: code}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("status %d, not JSON: %q", code, body)
	}
	return r, nil
}

// series flattens a query result into labels -> points.
func (r apiResp) series() (resultType string, out map[string][]point, order []string, err error) {
	var d queryData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return "", nil, nil, err
	}
	out = map[string][]point{}
	switch d.ResultType {
	case "scalar", "string":
		var v []json.Number
		if err := json.Unmarshal(d.Result, &v); err != nil {
			return "", nil, nil, err
		}
		p, err := toPoint(v)
		out[""] = []point{p}
		return d.ResultType, out, []string{""}, err
	}
	var ss []respSeries
	if err := json.Unmarshal(d.Result, &ss); err != nil {
		return "", nil, nil, err
	}
	for _, s := range ss {
		k := metricKey(s.Metric)
		if _, dup := out[k]; dup {
			return "", nil, nil, fmt.Errorf("series %s twice in one result", k)
		}
		order = append(order, k)
		if s.Value != nil {
			p, err := toPoint(s.Value)
			if err != nil {
				return "", nil, nil, err
			}
			out[k] = []point{p}
			continue
		}
		for _, v := range s.Values {
			p, err := toPoint(v)
			if err != nil {
				return "", nil, nil, err
			}
			out[k] = append(out[k], p)
		}
	}
	return d.ResultType, out, order, nil
}

func toPoint(v []json.Number) (point, error) {
	if len(v) != 2 {
		return point{}, fmt.Errorf("point %v", v)
	}
	ts, err := strconv.ParseFloat(string(v[0]), 64)
	if err != nil {
		return point{}, err
	}
	f, err := strconv.ParseFloat(strings.Trim(string(v[1]), `"`), 64)
	if err != nil {
		return point{}, err
	}
	return point{int64(math.Round(ts * 1000)), f}, nil
}

func metricKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// sameFloat is equality within 1e-9 relative; NaN equals NaN and
// infinities must match exactly.
func sameFloat(a, b float64) bool {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return math.IsNaN(a) && math.IsNaN(b)
	case math.IsInf(a, 0) || math.IsInf(b, 0):
		return a == b
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// diffResults says how got differs from want ("" when it does not):
// status code, status, error type, result type, the set of series, and
// every point's time and value. ordered also compares series order (sort
// functions); otherwise instant vectors are compared as sets, as their
// order depends on the storage.
func diffResults(want, got apiResp, ordered bool) string {
	if want.code != got.code || want.Status != got.Status || want.ErrorType != got.ErrorType {
		return fmt.Sprintf("Prometheus answered %d %s %s (%s), fakeprom %d %s %s (%s)",
			want.code, want.Status, want.ErrorType, want.Error, got.code, got.Status, got.ErrorType, got.Error)
	}
	if want.Status != "success" {
		return ""
	}
	if !json.Valid(want.Data) || !json.Valid(got.Data) {
		return "invalid data"
	}
	wt, ws, worder, err := want.series()
	if err != nil {
		// Not a query result (series, labels...): compare the JSON.
		if a, b := compactJSON(want.Data), compactJSON(got.Data); a != b {
			return fmt.Sprintf("Prometheus: %s\nfakeprom:   %s", a, b)
		}
		return ""
	}
	gt, gs, gorder, err := got.series()
	if err != nil {
		return err.Error()
	}
	if wt != gt {
		return fmt.Sprintf("result type: Prometheus %s, fakeprom %s", wt, gt)
	}
	for k := range ws {
		if _, ok := gs[k]; !ok {
			return fmt.Sprintf("series %s missing from fakeprom (Prometheus has %d series, fakeprom %d)", k, len(ws), len(gs))
		}
	}
	for k := range gs {
		if _, ok := ws[k]; !ok {
			return fmt.Sprintf("series %s only in fakeprom", k)
		}
	}
	if ordered && !slices.Equal(worder, gorder) {
		return fmt.Sprintf("order: Prometheus %v, fakeprom %v", worder, gorder)
	}
	for k, wp := range ws {
		gp := gs[k]
		if len(wp) != len(gp) {
			return fmt.Sprintf("%s: Prometheus %d points, fakeprom %d", k, len(wp), len(gp))
		}
		for i := range wp {
			if wp[i].tMillis != gp[i].tMillis || !sameFloat(wp[i].v, gp[i].v) {
				return fmt.Sprintf("%s point %d: Prometheus %v@%d, fakeprom %v@%d", k, i, wp[i].v, wp[i].tMillis, gp[i].v, gp[i].tMillis)
			}
		}
	}
	return ""
}

func compactJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
