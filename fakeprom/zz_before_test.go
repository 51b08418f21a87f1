package fakeprom

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

func BenchmarkBeforeNewServerFirstQuery(b *testing.B) {
	store := demoStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		srv := NewServer(store)
		c, _ := api.NewClient(api.Config{Address: "http://prometheus.monitoring:9090", RoundTripper: srv.RoundTripper()})
		if _, _, _, err := promv1.NewAPI(c).Query(ctx, successRate, at(10*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	_ = http.MethodGet
}
