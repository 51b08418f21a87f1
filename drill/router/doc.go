// Package router is a live drill's front door: one loopback port whose requests it proxies, with net/http/httputil, to the stable and canary pods as the published routing table splits them, counting what each side served.
package router
