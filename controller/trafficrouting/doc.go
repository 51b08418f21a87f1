// Package trafficrouting sets a Rollout's canary weights and routes in nginx, Istio, SMI and Gateway API objects.
package trafficrouting
