package trafficrouting

// Event reasons and messages, with the text Argo Rollouts and the Gateway API plugin use.
const (
	ReasonCreatingCanaryIngress   = "CreatingCanaryIngress"
	ReasonPatchingCanaryIngress   = "PatchingCanaryIngress"
	ReasonUpdatedVirtualService   = "Updated VirtualService"
	ReasonVirtualServiceNotFound  = "VirtualServiceNotFound"
	ReasonUpdatedDestinationRule  = "UpdatedDestinationRule"
	ReasonDestinationRuleNotFound = "DestinationRuleNotFound"
	ReasonTrafficSplitCreated     = "TrafficSplitCreated"
	ReasonTrafficSplitNotCreated  = "TrafficSplitNotCreated"
	ReasonHTTPRouteUpdated        = "HTTPRouteUpdated"

	MsgCreatingCanaryIngress   = "Creating canary ingress `%s` with weight `%d`"
	MsgPatchingCanaryIngress   = "Updating Ingress `%s` to desiredWeight '%d'"
	MsgVirtualServiceWeight    = "VirtualService `%s` set to desiredWeight '%d'"
	MsgVirtualServiceHeader    = "VirtualService `%s` set headerRoute '%v'"
	MsgVirtualServiceMirror    = "VirtualService `%s` set mirrorRoute '%v'"
	MsgVirtualServiceRemoved   = "VirtualService `%s` removed all managed routes."
	MsgVirtualServiceNotFound  = "VirtualService `%s` not found"
	MsgDestinationRuleUpdated  = "DestinationRule %s subset updated (%s: %s, %s: %s)"
	MsgDestinationRuleNotFound = "DestinationRule `%s` not found"
	MsgTrafficSplitCreated     = "TrafficSplit `%s` created"
	MsgTrafficSplitNotCreated  = "TrafficSplit `%s` failed creation: %v"
	MsgHTTPRouteUpdated        = "HTTPRoute `%s` set to desiredWeight '%d'"
)

// Error texts, as Argo's routers word them.
const (
	errStableIngress        = "error retrieving stableIngress `%s` from cache: %v"
	errCanaryIngress        = "error retrieving canary ingress `%s` from cache: %v"
	errCreateCanaryIngress  = "error creating canary ingress `%s`: %v"
	errPatchCanaryIngress   = "error patching canary ingress `%s`: %v"
	errCanaryIngressOwner   = "canary ingress `%s` controlled by different object"
	errIngressNoRules       = "ingress `%s` has no rules using service %s backend"
	errTrafficSplitNotOwned = "Rollout does not own TrafficSplit `%s`"
	errPluginNotFound       = "unable to find plugin (%s): only %s is built in"
	errSpecHTTPNotFound     = "spec.http not found"
	errBackendRefNotFound   = "backendRef was not found in httpRoute"
	errInvalidHeaderMatch   = "invalid header match type"
)
