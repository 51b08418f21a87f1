package lint

// Every message a finding can carry. Where Argo Rollouts v1.9.1 validates the same thing, the
// wording is Argo's, so that a finding reads like the InvalidSpec condition or the AnalysisRun
// message Argo would show.

// Rules name the check behind a finding (the "rule" of --format json).
const (
	RuleSchema        = "schema"           // the file does not decode: YAML, unknown fields, types
	RuleScenario      = "scenario"         // the scenario format's own rules
	RuleArgo          = "argo-validation"  // a rule Argo Rollouts enforces
	RuleArgs          = "args"             // {{args.x}} and argument values
	RuleReference     = "reference"        // a referenced template or service
	RuleCondition     = "condition"        // successCondition / failureCondition
	RulePromQL        = "promql"           // a PromQL query
	RuleProvider      = "provider"         // a provider's settings
	RuleGuard         = "unguarded-index"  // result[0] without len(result) > 0
	RuleUnfiltered    = "unfiltered-query" // a canary step's query that does not select the canary
	RuleNilQuirk      = "default-isnil-argument"
	RuleRateWindow    = "rate-window"
	RuleArgoExpr      = "argo-expr-version" // a builtin Argo's expr version does not have
	RuleFidelity      = "argo-fidelity"     // a field Argo Rollouts does not have
	RuleNoConditions  = "no-conditions"
	RuleSimulatorOnly = "simulator"
)

// Messages of findings about files and scenarios.
const (
	msgReadError = "cannot read: %v"
)

// Messages of findings about templates and their metrics.
const (
	msgNoMetrics           = "no metrics specified"
	msgNameRequired        = "Required value: a name is required"
	msgDuplicateMetric     = "duplicate name '%s'"
	msgArgBothValueFrom    = "arg '%s' has both Value and ValueFrom fields"
	msgArgDeclaredTwice    = "argument '%s' is declared twice"
	msgArgFieldRef         = "valueFrom.fieldRef in a template is never resolved (only the Rollout's arguments read fields): the run fails with \"argument %q was not supplied\" unless the Rollout passes a value"
	msgSecretRefIncomplete = "secretKeyRef needs both name and key"
	msgTagUndeclared       = "{{%s}} names no declared argument (declared: %s)"
	msgTagNotArgs          = "failed to resolve {{%s}}: only {{args.NAME}} is substituted"
	msgTagUnclosed         = "Cannot find end tag=\"}}\" in the template starting from %q"
	msgRuleNoMatch         = "%s[%d]: Rule didn't match any metric name(s) of this template (a run that includes other templates may still match)"
	msgRuleBadRegexp       = "%q is not a valid regular expression: Argo matches no metric with it"
	msgRuleTwice           = "two %s rules have the same name '%s'"
	msgRetentionZero       = "limit %d keeps the default of %d measurements"
	msgIncludeNotFound     = "%s %q not found among the linted files"
	msgIncludeCycle        = "analysis template %q includes itself through %s"
	msgNoConditions        = "no successCondition or failureCondition: every measurement that returns a value is Successful (Argo's code; its documentation says otherwise)"
)

// Messages of findings about providers.
const (
	msgNoAddress         = "no address: Argo Rollouts falls back to the controller's ARGO_ROLLOUTS_PROMETHEUS_ADDRESS, canarydrill run has no such default"
	msgQueryRequired     = "Required value: a query is required"
	msgPromQLParse       = "PromQL does not parse: %v"
	msgPromQLString      = "the query returns a string: Prometheus metric type not supported"
	msgPromQLRangeVector = "a range query must return a scalar or an instant vector, not a %s"
	msgRangeStep         = "failed to parse rangeQuery.step as duration: %v"
	msgRangeTime         = "failed to parse rangeQuery.%s as time: %v"
	msgSigv4             = "sigv4 is accepted for compatibility but canarydrill does not sign requests"
	msgBasicAuthNotArgo  = "authentication.basicAuth is canarydrill's: Argo Rollouts v1.9.1 has no such field and would drop it"
	msgURLRequired       = "Required value: a url is required"
	msgURLInvalid        = "not a valid URL: %v"
	msgMethod            = "Unsupported value: %q: supported values: \"GET\", \"POST\", \"PUT\""
	msgWebTimeout        = "timeoutSeconds %d is not positive: the default of 10 s is used"
	msgJobNoContainers   = "Required value: the Job's pod template needs at least one container"
	msgJobRestartPolicy  = "Unsupported value: %q: supported values: \"OnFailure\", \"Never\""
	msgJobConditions     = "a job metric ignores successCondition and failureCondition: the Job's Complete or Failed condition decides"
	msgJobSimulator      = "in canarydrill run a Job completes only as the scenario's jobs entry for metric %q says"
	msgPlugin            = "metric plugins are not run by canarydrill: every measurement of this metric is an Error"
	msgJudgeUnusedGroup  = "group %q has a weight but no metric names it"
	msgJudgeNoEffectSize = "no effectSize: any statistically significant shift counts, however small; samples of rate windows are correlated, so a few percent often is (e.g. effectSize: {allowedIncrease: 1.2})"
	msgJudgeCanaryFilter = "the canary query selects no canary pods (no rollouts_pod_template_hash or canary matcher): it compares the service with itself"
)

// Messages of findings about conditions.
const (
	msgConditionCompile = "does not compile: %v"
	msgUnguardedIndex   = "%s without a len(result) > 0 guard: a query that returns no series (no traffic yet, a label typo) makes every measurement an Error, and the run Errors after consecutiveErrorLimit"
	msgDefaultArgument  = "Argo's default(x, d) ignores x and tests the whole result: %s is d only when there is no result at all, otherwise the whole result, not %s"
	msgIsNilArgument    = "Argo's isNil(x) ignores x and tests the whole result: %s is false whenever a result came, whatever %s is"
	msgNewerBuiltin     = "%s() is not in Argo Rollouts v1.9.1's expression language (expr v1.15.5): Argo fails to compile this condition"
	msgConditionNow     = "now() in a condition is the wall clock, in Argo and in canarydrill alike: in canarydrill run's virtual time the verdict changes from run to run"
	msgRateWindow       = "rate window %s is longer than the whole analysis (interval %s × count %d = %s): the measurements mostly see traffic from before the analysis started"
)

// Messages of findings about Rollouts.
const (
	msgTemplateNotFound      = "template %q not found"
	msgClusterTemplateNotFnd = "cluster template %q not found"
	msgRunsIndefinitely      = "AnalysisTemplate %s has metric %s which runs indefinitely. Invalid value for count: %s"
	msgArgNotDeclared        = "argument %q is declared by none of the templates: Argo drops it"
	msgFieldRef              = "valueFrom.fieldRef %q: %v"
	msgServiceNotFound       = "service %q not found among the linted files"
	msgServiceLabel          = "Service %q has unmatch label %q in rollout"
	msgUnfiltered            = "Rollout %q runs this query in a canary analysis, but it selects no canary pods (no rollouts_pod_template_hash or canary matcher): it measures stable and canary traffic together, so a bad canary is diluted by the stable pods"
	msgAnalysisSpecInvalid   = "Analysis spec invalid: %v"
)

// Messages of findings about Rollouts that are Argo Rollouts v1.9.1's (pkg/apis/rollouts/validation),
// and Kubernetes' where Argo calls its validation.
const (
	msgMissingFieldMessage                                = "Rollout has missing field '%s'"
	msgInvalidSetWeightMessage                            = "SetWeight needs to be between 0 and %d"
	msgInvalidCanaryExperimentTemplateWeightWithoutTR     = "Experiment template weight cannot be set unless TrafficRouting is enabled"
	msgInvalidCanaryExperimentTemplateWeightRouter        = "Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and Plugins at this time"
	msgInvalidSetCanaryScaleTrafficPolicy                 = "SetCanaryScale requires TrafficRouting to be set"
	msgInvalidSetHeaderRouteTrafficPolicy                 = "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix"
	msgInvalidSetMirrorRouteTrafficPolicy                 = "SetMirrorRoute requires TrafficRouting, supports Istio only"
	msgInvalidStringMatchMultipleValuePolicy              = "StringMatch match value must have exactly one of the following: exact, regex, prefix"
	msgInvalidStringMatchMissedValuePolicy                = "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
	msgInvalidDurationMessage                             = "Duration needs to be greater than 0"
	msgInvalidMaxSurgeMaxUnavailable                      = "MaxSurge and MaxUnavailable both can not be zero"
	msgInvalidStepMessage                                 = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"
	msgInvalidStrategyMessage                             = "Multiple Strategies can not be listed"
	msgDuplicatedServicesBlueGreenMessage                 = "This rollout uses the same service for the active and preview services, but two different services are required."
	msgDuplicatedServicesCanaryMessage                    = "This rollout uses the same service for the stable and canary services, but two different services are required."
	msgInvalidAntiAffinityStrategyMessage                 = "AntiAffinity must have exactly one strategy listed"
	msgInvalidAntiAffinityWeightMessage                   = "AntiAffinity weight must be between 1-100"
	msgScaleDownLimitLargerThanRevisionLimit              = "This rollout's revision history limit can not be smaller than the rollout's scale down limit"
	msgInvalidTrafficRoutingMessage                       = "Canary service and Stable service must to be set to use Traffic Routing"
	msgInvalidAnalysisArgsMessage                         = "Analyses arguments must refer to valid object metadata supported by downwardAPI"
	msgInvalidCanaryScaleDownDelay                        = "Canary scaleDownDelaySeconds can only be used with traffic routing"
	msgInvalidCanaryDynamicStableScale                    = "Canary dynamicStableScale can only be used with traffic routing"
	msgInvalidCanaryDynamicStableScaleWithScaleDownDelay  = "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds"
	msgInvalidCanaryMaxWeightOnlySupportInNginxAndPlugins = "Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"
	msgInvalideStepRouteNameNotFoundInManagedRoutes       = "Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"
	msgEmptySelector                                      = "empty selector is invalid for deployment"
	msgSelectorMismatch                                   = "`selector` does not match template `labels`"
	msgNonNegative                                        = "must be greater than or equal to 0"
	msgDeadline                                           = "must be greater than minReadySeconds"
	msgContainersRequired                                 = "Required value: the pod template needs at least one container"
	msgWorkloadRefAndTemplate                             = "template must be empty for workload reference rollout"
	msgVirtualServices                                    = "either VirtualService or VirtualServices must be configured"
	msgNginxBoth                                          = "Either StableIngress or StableIngresses must be configured. Both are configured."
	msgNginxNeither                                       = "Either StableIngress or StableIngresses must be configured. Neither are configured."
)
