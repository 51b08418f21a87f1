package memapi

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func sortGVKs(g []schema.GroupVersionKind) {
	sort.Slice(g, func(i, j int) bool { return g[i].String() < g[j].String() })
}
