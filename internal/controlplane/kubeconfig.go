package controlplane

import (
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// WriteKubeconfig writes cfg (server, CA and bearer token) as a kubeconfig file with one
// context, "canarydrill", readable only by its owner.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["canarydrill"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos["canarydrill"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["canarydrill"] = &clientcmdapi.Context{Cluster: "canarydrill", AuthInfo: "canarydrill", Namespace: "default"}
	kc.CurrentContext = "canarydrill"
	return clientcmd.WriteToFile(*kc, path)
}
