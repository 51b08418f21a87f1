// Command canarydrill runs Argo Rollouts policies against simulated and real releases and reports how fast bad canaries were caught.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
