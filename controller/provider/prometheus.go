package provider

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/analysis/evaluate"
)

// ResolvedPrometheusQuery is the key under which a metric result's metadata shows the query
// as sent, arguments substituted (Argo's key).
const ResolvedPrometheusQuery = "ResolvedPrometheusQuery"

// DefaultPrometheusTimeout bounds a query when the metric sets no timeout.
const DefaultPrometheusTimeout = 30 * time.Second

// WarningsMetadataKey is the measurement metadata key of the warnings Prometheus returned.
const WarningsMetadataKey = "warnings"

// maxCachedPrometheusAPIs bounds the client cache; past it the cache starts over.
const maxCachedPrometheusAPIs = 256

// prometheusProvider runs PromQL queries through client_golang's HTTP API client.
type prometheusProvider struct {
	api     promv1.API
	timeout time.Duration
	clock   clock.PassiveClock
	log     logr.Logger
}

func (f *DefaultFactory) newPrometheus(metric v1alpha1.Metric) (Provider, error) {
	promAPI, timeout, err := f.prometheusClient(metric.Provider.Prometheus)
	if err != nil {
		return nil, err
	}
	return &prometheusProvider{
		api:     promAPI,
		timeout: timeout,
		clock:   f.clock(),
		log:     f.Log.WithName("prometheus"),
	}, nil
}

// prometheusClient checks the connection settings of a prometheus (or judge) metric, as Argo
// does when it builds the provider, and returns the API client and the query timeout: the
// address (or the factory's default) must be a URL, OAuth2 needs its client id and secret, and
// the timeout (default 30 s) must not be negative.
func (f *DefaultFactory) prometheusClient(cfg *v1alpha1.PrometheusMetric) (promv1.API, time.Duration, error) {
	address := cfg.Address
	switch {
	case address != "":
		if !isURL(address) {
			return nil, 0, errors.New(errPromAddressNotURL)
		}
	case f.PrometheusAddress != "":
		if !isURL(f.PrometheusAddress) {
			return nil, 0, errors.New(errPromAddressNotURL)
		}
		address = f.PrometheusAddress
	default:
		return nil, 0, errors.New(errPromAddressMissing)
	}
	a := cfg.Authentication.OAuth2
	if a.TokenURL != "" && (a.ClientID == "" || a.ClientSecret == "") {
		return nil, 0, errors.New(errOAuth2Missing)
	}
	promAPI, err := f.prometheusAPI(address, cfg)
	if err != nil {
		return nil, 0, err
	}
	timeout := DefaultPrometheusTimeout
	if cfg.Timeout != nil {
		if *cfg.Timeout < 0 {
			return nil, 0, errors.New(errPromNegativeTimeout)
		}
		timeout = time.Duration(*cfg.Timeout) * time.Second
	}
	return promAPI, timeout, nil
}

// promClientKey is everything that makes two Prometheus API clients differ.
type promClientKey struct {
	address  string
	insecure bool
	headers  string
	basic    v1alpha1.BasicAuthConfig
	oauth2   string
}

func newPromClientKey(address string, cfg *v1alpha1.PrometheusMetric) promClientKey {
	var headers strings.Builder
	for _, h := range cfg.Headers {
		headers.WriteString(h.Key)
		headers.WriteByte(0)
		headers.WriteString(h.Value)
		headers.WriteByte(0)
	}
	o := cfg.Authentication.OAuth2
	return promClientKey{
		address:  address,
		insecure: cfg.Insecure,
		headers:  headers.String(),
		basic:    cfg.Authentication.BasicAuth,
		oauth2:   strings.Join(append([]string{o.TokenURL, o.ClientID, o.ClientSecret}, o.Scopes...), "\x00"),
	}
}

// prometheusAPI returns the cached API client for these settings, building it on first use.
func (f *DefaultFactory) prometheusAPI(address string, cfg *v1alpha1.PrometheusMetric) (promv1.API, error) {
	key := newPromClientKey(address, cfg)
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.promAPIs[key]; ok {
		return c, nil
	}
	var rt http.RoundTripper = headerRoundTripper{
		headers: cfg.Headers,
		basic:   cfg.Authentication.BasicAuth,
		next:    f.baseTransport(cfg.Insecure),
	}
	conf := api.Config{Address: address, RoundTripper: rt}
	if o := cfg.Authentication.OAuth2; o.TokenURL != "" {
		cc := &clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL, Scopes: o.Scopes}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rt})
		conf = api.Config{Address: address, Client: cc.Client(ctx)}
	}
	c, err := api.NewClient(conf)
	if err != nil {
		return nil, err
	}
	if f.promAPIs == nil || len(f.promAPIs) >= maxCachedPrometheusAPIs {
		f.promAPIs = make(map[promClientKey]promv1.API)
	}
	p := promv1.NewAPI(c)
	f.promAPIs[key] = p
	return p, nil
}

var (
	secureTransport   http.RoundTripper = http.DefaultTransport
	insecureTransport                   = sync.OnceValue(func() http.RoundTripper { return skipVerify(http.DefaultTransport) })
)

// baseTransport is the injected transport, or the default one; insecure skips TLS verification
// where the transport is an *http.Transport (an in-memory transport has no TLS to skip).
func (f *DefaultFactory) baseTransport(insecure bool) http.RoundTripper {
	switch {
	case f.Transport != nil && insecure:
		return skipVerify(f.Transport)
	case f.Transport != nil:
		return f.Transport
	case insecure:
		return insecureTransport()
	}
	return secureTransport
}

func skipVerify(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the metric asked for insecure
	return t
}

// headerRoundTripper adds the metric's headers and basic authentication to every request.
type headerRoundTripper struct {
	headers []v1alpha1.WebMetricHeader
	basic   v1alpha1.BasicAuthConfig
	next    http.RoundTripper
}

func (h headerRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(h.headers) == 0 && h.basic == (v1alpha1.BasicAuthConfig{}) {
		return h.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	for _, hd := range h.headers {
		r.Header.Set(hd.Key, hd.Value)
	}
	if h.basic != (v1alpha1.BasicAuthConfig{}) {
		r.SetBasicAuth(h.basic.Username, h.basic.Password)
	}
	return h.next.RoundTrip(r)
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// Type is "Prometheus".
func (p *prometheusProvider) Type() string { return TypePrometheus }

// Metadata shows the query as sent.
func (p *prometheusProvider) Metadata(metric v1alpha1.Metric) map[string]string {
	md := map[string]string{}
	if q := metric.Provider.Prometheus.Query; q != "" {
		md[ResolvedPrometheusQuery] = q
	}
	return md
}

// Run queries Prometheus at the clock's time and judges the answer with the metric's conditions.
func (p *prometheusProvider) Run(ctx context.Context, _ *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := p.clock.Now()
	started := metav1.NewTime(now)
	m := v1alpha1.Measurement{StartedAt: &started}

	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	value, warnings, err := p.query(ctx, metric.Provider.Prometheus, now)
	if err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	text, phase, err := judgePrometheusValue(metric, value)
	if err != nil {
		return ErrorMeasurement(m, err, p.clock.Now())
	}
	m.Value = text
	if len(warnings) > 0 {
		quoted := make([]string, len(warnings))
		for i, w := range warnings {
			quoted[i] = `"` + w + `"`
		}
		m.Metadata = map[string]string{WarningsMetadataKey: strings.Join(quoted, ", ")}
		p.log.Info("Prometheus returned warnings", "warnings", m.Metadata[WarningsMetadataKey])
	}
	m.Phase = phase
	finished := metav1.NewTime(p.clock.Now())
	m.FinishedAt = &finished
	return m
}

func (p *prometheusProvider) query(ctx context.Context, cfg *v1alpha1.PrometheusMetric, now time.Time) (model.Value, promv1.Warnings, error) {
	if err := ctx.Err(); err != nil {
		// a zero timeout has already expired; fail the same way on every transport
		return nil, nil, err
	}
	opts := []promv1.Option{promv1.WithTimeout(p.timeout)}
	if rq := cfg.RangeQuery; rq != nil {
		start, err := evaluate.Time(rq.Start, now)
		if err != nil {
			return nil, nil, fmt.Errorf(errPromRangeStart, err)
		}
		end, err := evaluate.Time(rq.End, now)
		if err != nil {
			return nil, nil, fmt.Errorf(errPromRangeEnd, err)
		}
		step, err := rq.Step.Duration()
		if err != nil {
			return nil, nil, fmt.Errorf(errPromRangeStep, err)
		}
		v, w, _, err := p.api.QueryRange(ctx, cfg.Query, promv1.Range{Start: start, End: end, Step: step}, opts...)
		return v, w, err
	}
	v, w, _, err := p.api.Query(ctx, cfg.Query, now, opts...)
	return v, w, err
}

// judgePrometheusValue converts a query answer into the condition's `result` and the
// measurement's value text: a scalar is a float64, a vector its samples' values as []float64, a
// matrix every sample of every series flattened in order. NaN and ±Inf pass through.
func judgePrometheusValue(metric v1alpha1.Metric, value model.Value) (string, v1alpha1.AnalysisPhase, error) {
	var samples []model.SampleValue
	switch v := value.(type) {
	case *model.Scalar:
		phase, err := evaluate.Result(float64(v.Value), metric)
		return v.Value.String(), phase, err
	case model.Vector:
		samples = make([]model.SampleValue, 0, len(v))
		for _, s := range v {
			if s != nil {
				samples = append(samples, s.Value)
			}
		}
	case model.Matrix:
		samples = []model.SampleValue{}
		for _, series := range v {
			if series != nil {
				for _, s := range series.Values {
					samples = append(samples, s.Value)
				}
			}
		}
	default:
		//lint:ignore ST1005 Argo's wording, kept for users' greps
		return "", v1alpha1.AnalysisPhaseError, errors.New(errPromTypeNotSupported)
	}
	floats := make([]float64, len(samples))
	texts := make([]string, len(samples))
	for i, s := range samples {
		floats[i] = float64(s)
		texts[i] = s.String()
	}
	phase, err := evaluate.Result(floats, metric)
	return "[" + strings.Join(texts, ",") + "]", phase, err
}

// Resume returns the measurement unchanged: Prometheus measurements finish in Run.
func (p *prometheusProvider) Resume(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.log.Info("Prometheus provider should not execute the Resume method")
	return m
}

// Terminate returns the measurement unchanged: Prometheus measurements finish in Run.
func (p *prometheusProvider) Terminate(_ context.Context, _ *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	p.log.Info("Prometheus provider should not execute the Terminate method")
	return m
}

// GarbageCollect has nothing to collect.
func (p *prometheusProvider) GarbageCollect(context.Context, *v1alpha1.AnalysisRun, v1alpha1.Metric, int) error {
	return nil
}
