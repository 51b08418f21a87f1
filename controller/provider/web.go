package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/jsonpath"
	"k8s.io/utils/clock"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
)

// DefaultWebTimeout bounds a web request when the metric sets no (or a non-positive) timeoutSeconds.
const DefaultWebTimeout = 10 * time.Second

// DefaultWebJSONPath selects the whole JSON answer.
const DefaultWebJSONPath = "{$}"

// maxWebBody bounds how much of an answer is read.
const maxWebBody = 16 << 20

// webProvider sends one HTTP request per measurement and judges the JSON answer.
type webProvider struct {
	client *http.Client
	parser *jsonpath.JSONPath
	clock  clock.PassiveClock
	log    logr.Logger
}

func (f *DefaultFactory) newWeb(metric v1alpha1.Metric) (Provider, error) {
	cfg := metric.Provider.Web
	parser, err := WebJSONPath(cfg.JSONPath)
	if err != nil {
		return nil, err
	}
	timeout := DefaultWebTimeout
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	rt := headerRoundTripper{basic: cfg.Authentication.BasicAuth, next: f.baseTransport(cfg.Insecure)}
	c := &http.Client{Timeout: timeout, Transport: rt}
	if o := cfg.Authentication.OAuth2; o.TokenURL != "" {
		if o.ClientID == "" || o.ClientSecret == "" {
			return nil, errors.New(errOAuth2Missing)
		}
		cc := clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL, Scopes: o.Scopes}
		c = cc.Client(context.WithValue(context.Background(), oauth2.HTTPClient, c))
	}
	return &webProvider{client: c, parser: parser, clock: f.clock(), log: f.Log.WithName("web")}, nil
}

// WebJSONPath parses a web metric's jsonPath (DefaultWebJSONPath when empty) with Kubernetes'
// JSONPath, as Argo does.
func WebJSONPath(path string) (*jsonpath.JSONPath, error) {
	if path == "" {
		path = DefaultWebJSONPath
	}
	p := jsonpath.New("metrics")
	if err := p.Parse(path); err != nil {
		return nil, fmt.Errorf(errWebJSONPathParse, path, err)
	}
	return p, nil
}

// Type is "Web".
func (p *webProvider) Type() string { return TypeWeb }

// Metadata has nothing to show.
func (p *webProvider) Metadata(v1alpha1.Metric) map[string]string { return nil }

// Run sends the request (method default GET; body or jsonBody only with POST or PUT; jsonBody
// sets Content-Type: application/json), requires a 2xx answer with a JSON body that is not
// null, takes the first value the jsonPath selects and judges it with the metric's conditions.
// The measurement's value is that value as JSON.
func (p *webProvider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	started := metav1.NewTime(p.clock.Now())
	m := v1alpha1.Measurement{StartedAt: &started}
	fail := func(err error) v1alpha1.Measurement { return ErrorMeasurement(m, err, p.clock.Now()) }
	cfg := metric.Provider.Web

	if err := ValidateWebBody(cfg); err != nil {
		return fail(err)
	}
	var body io.Reader
	switch {
	case cfg.Body != "":
		body = strings.NewReader(cfg.Body)
	case cfg.JSONBody != nil:
		body = bytes.NewReader(cfg.JSONBody)
	}
	req, err := http.NewRequestWithContext(ctx, string(webMethod(cfg)), cfg.URL, body)
	if err != nil {
		return fail(err)
	}
	for _, h := range cfg.Headers {
		req.Header.Set(h.Key, h.Value)
	}
	if cfg.JSONBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return fail(fmt.Errorf(errWebStatus, resp.StatusCode))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebBody))
	if err != nil {
		//lint:ignore ST1005 Argo's wording, kept for users' greps
		return fail(fmt.Errorf(errWebRead, err))
	}
	value, text, err := p.pick(raw)
	if err != nil {
		return fail(err)
	}
	phase, err := evaluate.Result(value, metric)
	if err != nil {
		return fail(err)
	}
	m.Value = text
	m.Phase = phase
	finished := metav1.NewTime(p.clock.Now())
	m.FinishedAt = &finished
	return m
}

// ValidateWebBody applies Argo's rules for a web metric's body, checked when a measurement is
// taken: body and jsonBody exclude each other and need POST or PUT.
func ValidateWebBody(cfg *v1alpha1.WebMetric) error {
	switch {
	case cfg.Body != "" && cfg.JSONBody != nil:
		return errors.New(errWebBodyAndJSONBody)
	case (cfg.Body != "" || cfg.JSONBody != nil) && webMethod(cfg) == v1alpha1.WebMetricMethodGet:
		return errors.New(errWebBodyWithGet)
	}
	return nil
}

// webMethod is the metric's method, GET by default.
func webMethod(cfg *v1alpha1.WebMetric) v1alpha1.WebMetricMethod {
	if cfg.Method == "" {
		return v1alpha1.WebMetricMethodGet
	}
	return cfg.Method
}

// pick decodes the body and returns the first value the jsonPath selects, and its JSON text.
// A value that is JSON null at the path is kept (isNil and default see it); a null body is not.
func (p *webProvider) pick(raw []byte) (any, string, error) {
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, "", fmt.Errorf(errWebNotJSON, err)
	}
	if data == nil {
		return nil, "", errors.New(errWebNullBody)
	}
	results, err := p.parser.FindResults(data)
	if err != nil {
		//lint:ignore ST1005 Argo's wording, kept for users' greps
		return nil, "", fmt.Errorf(errWebJSONPath, err)
	}
	i := slices.IndexFunc(results, func(rs []reflect.Value) bool { return len(rs) > 0 })
	if i < 0 {
		return nil, "", errors.New(errWebNoValue)
	}
	var v any
	if r := results[i][0]; r.IsValid() && (r.Kind() != reflect.Interface || !r.IsNil()) {
		v = r.Interface()
	}
	b, err := json.Marshal(v)
	return v, string(b), err
}

// Resume returns the measurement unchanged: web measurements finish in Run.
func (p *webProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.log.Info("WebMetric provider should not execute the Resume method")
	return m
}

// Terminate returns the measurement unchanged: web measurements finish in Run.
func (p *webProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.log.Info("WebMetric provider should not execute the Terminate method")
	return m
}

// GarbageCollect has nothing to collect.
func (p *webProvider) GarbageCollect(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric, int) error {
	return nil
}
