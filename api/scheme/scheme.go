// Package scheme builds the runtime.Scheme that knows Kubernetes' built-in types and Argo's.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// New returns a scheme with client-go's types and argoproj.io/v1alpha1.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err) // only a programming error can fail here
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}
