{{/*
The defaults of the values the sidecar templates read, and the merge that fills a given map with them.
*/}}

{{/* The app version the image tag defaults to; the same as Chart.yaml's appVersion (test/helm checks it).
A literal, because in a parent chart's context .Chart is the parent's. */}}
{{- define "mcp-trace-proxy.appVersion" -}}
0.1.0
{{- end }}

{{/* Defaults of the proxy container's values: the same as values.yaml's (test/helm checks it), plus
`resources` and `securityContext`, which values.yaml leaves out so that a null or {} the user sets wins
(Helm would otherwise merge a given {} back into the defaults, or drop a null and let them return). */}}
{{- define "mcp-trace-proxy.defaults" -}}
upstream: ""
image:
  registry: ""
  repository: mcp-trace-proxy
  tag: ""
  digest: ""
  pullPolicy: IfNotPresent
containerName: mcp-trace-proxy
host: "0.0.0.0"
ports:
  proxy: 8080
  admin: 9464
  proxyName: mcp-proxy
  adminName: mcp-admin
serviceName: ""
otlp:
  endpoint: ""
  protocol: http/protobuf
  headers:
    secretName: ""
    secretKey: otlp-headers
  compression: ""
  tls:
    secretName: ""
    caKey: ca.crt
    certKey: tls.crt
    keyKey: tls.key
    mountPath: /etc/mcp-trace-proxy/otlp-tls
sampler:
  name: ""
  arg: ""
k8sResourceAttributes: true
resourceAttributes: {}
drainDelay: 5s
shutdownGrace: ""
ui:
  enabled: false
metrics:
  exporter: prometheus
resources:
  requests:
    cpu: 50m
    memory: 64Mi
  limits:
    cpu: 500m
    memory: 256Mi
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop:
      - ALL
  seccompProfile:
    type: RuntimeDefault
probes:
  liveness:
    enabled: true
    initialDelaySeconds: 0
    periodSeconds: 10
    timeoutSeconds: 2
    failureThreshold: 3
  readiness:
    enabled: true
    initialDelaySeconds: 0
    periodSeconds: 5
    timeoutSeconds: 2
    failureThreshold: 3
startupProbe: {}
lifecycle: {}
extraEnv: []
extraEnvFrom: []
extraVolumeMounts: []
extraVolumes: []
extraArgs: []
prometheus:
  scrapeAnnotations: true
sidecar:
  native: false
{{- end }}

{{/* The standalone pod's securityContext default (applied like `securityContext`). */}}
{{- define "mcp-trace-proxy.podSecurityContextDefault" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The keys whose defaults are Kubernetes objects: a {} given for one of them means "none". */}}
{{- define "mcp-trace-proxy.clearable" -}}
resources securityContext podSecurityContext
{{- end }}

{{/* Deep defaults, as JSON: every key of .values, and the keys of .defaults it lacks, recursively for
maps. A value given wins: false, 0, "" and [] are kept, null removes the key (and its default), and an
empty map given for a top-level key named in "mcp-trace-proxy.clearable" stays empty. .top is true at
the top level. */}}
{{- define "mcp-trace-proxy.deepDefault" -}}
{{- $d := .defaults | default dict -}}
{{- $u := .values | default dict -}}
{{- $clearable := ternary (splitList " " (include "mcp-trace-proxy.clearable" .)) list (.top | default false) -}}
{{- $out := dict -}}
{{- range $k, $dv := $d -}}
  {{- if hasKey $u $k -}}
    {{- $uv := get $u $k -}}
    {{- if kindIs "invalid" $uv -}}
      {{- /* null: the key is removed */ -}}
    {{- else if and (kindIs "map" $uv) (eq (len $uv) 0) (has $k $clearable) -}}
      {{- $_ := set $out $k dict -}}
    {{- else if and (kindIs "map" $dv) (kindIs "map" $uv) -}}
      {{- $_ := set $out $k (include "mcp-trace-proxy.deepDefault" (dict "defaults" $dv "values" $uv) | fromJson) -}}
    {{- else -}}
      {{- $_ := set $out $k $uv -}}
    {{- end -}}
  {{- else -}}
    {{- $_ := set $out $k $dv -}}
  {{- end -}}
{{- end -}}
{{- range $k, $uv := $u -}}
  {{- if and (not (hasKey $d $k)) (not (kindIs "invalid" $uv)) -}}
    {{- if kindIs "map" $uv -}}
      {{- $_ := set $out $k (include "mcp-trace-proxy.deepDefault" (dict "defaults" dict "values" $uv) | fromJson) -}}
    {{- else -}}
      {{- $_ := set $out $k $uv -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end }}

{{/* The proxy values of a (dict "Values" ... "context" ...), defaults filled in, as JSON. */}}
{{- define "mcp-trace-proxy.proxyValues" -}}
{{- $given := (.Values | default dict) | toJson | fromJson -}}
{{- include "mcp-trace-proxy.deepDefault" (dict "defaults" (include "mcp-trace-proxy.defaults" . | fromYaml) "values" $given "top" true) -}}
{{- end }}

{{/* A duration of the proxy's ("500ms", "5s", "2m", "1h", a bare number: ms) in milliseconds; "" is
.default. */}}
{{- define "mcp-trace-proxy.durationMs" -}}
{{- $s := toString .value | trim -}}
{{- if eq $s "" }}{{ $s = toString .default }}{{ end -}}
{{- $m := regexFindAll "^([0-9]+)(ms|s|m|h)?$" $s 1 -}}
{{- if not $m }}{{ fail (printf "mcp-trace-proxy: %s: %q is not a duration (e.g. 500ms, 5s, 2m)" .name $s) }}{{ end -}}
{{- $n := regexFind "^[0-9]+" $s | int64 -}}
{{- $unit := regexReplaceAll "^[0-9]+" $s "" -}}
{{- $mult := dict "" 1 "ms" 1 "s" 1000 "m" 60000 "h" 3600000 -}}
{{- mul $n (get $mult $unit) -}}
{{- end }}
