package driver

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

var metaTypeClusterRole = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}

func objectMeta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}
