package trafficrouting

import (
	"encoding/json"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/controller/rollout"
)

// GatewayAPIPlugin is the plugin name under which users configure the Gateway API router, as
// they do for argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi.
const GatewayAPIPlugin = "argoproj-labs/gatewayAPI"

// Factory builds the traffic routers a Rollout names, on one client. Its Routers method is a
// rollout.RouterFactory.
type Factory struct {
	Client   client.Client
	Recorder record.EventRecorder // nil records nothing
}

var _ rollout.RouterFactory = (&Factory{}).Routers

// Routers returns the routers of spec.strategy.canary.trafficRouting in Argo's order: Istio,
// nginx, SMI, then plugins by name.
func (f *Factory) Routers(ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) ([]rollout.TrafficRouter, error) {
	cs := ro.Spec.Strategy.Canary
	if cs == nil || cs.TrafficRouting == nil {
		return nil, nil
	}
	tr := cs.TrafficRouting
	base := router{c: f.Client, rec: f.Recorder, ro: ro}
	var out []rollout.TrafficRouter
	if tr.Istio != nil {
		out = append(out, &Istio{router: base, replicaSets: rss})
	}
	if tr.Nginx != nil {
		out = append(out, &Nginx{router: base})
	}
	if tr.SMI != nil {
		out = append(out, &SMI{router: base})
	}
	names := make([]string, 0, len(tr.Plugins))
	for name := range tr.Plugins {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != GatewayAPIPlugin {
			return out, fmt.Errorf(errPluginNotFound, name, GatewayAPIPlugin)
		}
		cfg, err := ParseGatewayAPIConfig(tr.Plugins[name], ro.Namespace)
		if err != nil {
			return out, err
		}
		out = append(out, &GatewayAPI{router: base, cfg: cfg})
	}
	return out, nil
}

// router holds what every router needs.
type router struct {
	c   client.Client
	rec record.EventRecorder
	ro  *v1alpha1.Rollout
}

func (r *router) eventf(reason, format string, args ...any) {
	if r.rec != nil {
		r.rec.Eventf(r.ro, corev1.EventTypeNormal, reason, format, args...)
	}
}

func (r *router) warnf(reason, format string, args ...any) {
	if r.rec != nil {
		r.rec.Eventf(r.ro, corev1.EventTypeWarning, reason, format, args...)
	}
}

// GatewayAPIConfig is the plugin's configuration: one HTTPRoute (httpRoute) or several
// (httpRoutes), in namespace (default: the Rollout's).
type GatewayAPIConfig struct {
	HTTPRoute  string           `json:"httpRoute,omitempty"`
	HTTPRoutes []GatewayAPIName `json:"httpRoutes,omitempty"`
	Namespace  string           `json:"namespace,omitempty"`
}

// GatewayAPIName names one HTTPRoute; useHeaderRoutes says whether header routes go into it.
type GatewayAPIName struct {
	Name            string `json:"name"`
	UseHeaderRoutes bool   `json:"useHeaderRoutes,omitempty"`
}

// ParseGatewayAPIConfig reads the plugin configuration; httpRoute becomes the first of httpRoutes,
// with header routes, as the plugin does.
func ParseGatewayAPIConfig(raw json.RawMessage, namespace string) (GatewayAPIConfig, error) {
	var cfg GatewayAPIConfig
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return cfg, fmt.Errorf("parsing %s configuration: %w", GatewayAPIPlugin, err)
		}
	}
	if cfg.Namespace == "" {
		cfg.Namespace = namespace
	}
	if cfg.HTTPRoute != "" {
		cfg.HTTPRoutes = append([]GatewayAPIName{{Name: cfg.HTTPRoute, UseHeaderRoutes: true}}, cfg.HTTPRoutes...)
	}
	return cfg, nil
}
