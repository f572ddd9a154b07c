{{/*
mcp-trace-proxy helpers.

Public, for your own charts (this chart as a dependency, `standalone.enabled: false`):

  {{ include "mcp-trace-proxy.sidecar" (dict "Values" <proxy values> "context" $) }}
      the proxy container, as one item of a pod's `containers:` list. <proxy values> is a map with this
      chart's keys (`upstream`, `image`, `ports`, `otlp`, `sampler`, `resources`, `securityContext`,
      `probes`, `extraEnv`, `extraArgs`, ...): `index .Values "mcp-trace-proxy"` for the dependency's
      values, or any map of your own; keys it lacks take this chart's defaults. `context` is your root
      context (`$`), used to `tpl` the upstream and OTLP endpoint.

  {{ include "mcp-trace-proxy.sidecarPodAnnotations" (dict "Values" <proxy values> "context" $) }}
      the prometheus.io/scrape, /port, /path pod annotations (empty when prometheus.scrapeAnnotations
      is false), as YAML map entries.
*/}}

{{/* The app version the image tag defaults to; the same as Chart.yaml's appVersion (test/helm checks it).
A literal, because in a parent chart's context .Chart is the parent's. */}}
{{- define "mcp-trace-proxy.appVersion" -}}
0.1.0
{{- end }}

{{/* Defaults of the proxy container's values: the same as values.yaml's (test/helm checks it). */}}
{{- define "mcp-trace-proxy.defaults" -}}
upstream: ""
image:
  repository: mcp-trace-proxy
  tag: ""
  pullPolicy: IfNotPresent
containerName: mcp-trace-proxy
ports:
  proxy: 8080
  admin: 9464
  proxyName: mcp-proxy
  adminName: mcp-admin
serviceName: ""
otlp:
  endpoint: ""
  headers:
    secretName: ""
    secretKey: otlp-headers
  compression: ""
sampler:
  name: ""
  arg: ""
k8sResourceAttributes: true
drainDelay: 5s
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
extraEnv: []
extraArgs: []
prometheus:
  scrapeAnnotations: true
{{- end }}

{{/* Deep defaults, as JSON: every key of .values, and the keys of .defaults it lacks, recursively for
maps. Unlike sprig's merge, a given false, 0, "" or [] is kept. */}}
{{- define "mcp-trace-proxy.deepDefault" -}}
{{- $d := .defaults | default dict -}}
{{- $u := .values | default dict -}}
{{- $out := dict -}}
{{- range $k, $dv := $d -}}
  {{- if hasKey $u $k -}}
    {{- $uv := get $u $k -}}
    {{- if and (kindIs "map" $dv) (kindIs "map" $uv) -}}
      {{- $_ := set $out $k (include "mcp-trace-proxy.deepDefault" (dict "defaults" $dv "values" $uv) | fromJson) -}}
    {{- else -}}
      {{- $_ := set $out $k $uv -}}
    {{- end -}}
  {{- else -}}
    {{- $_ := set $out $k $dv -}}
  {{- end -}}
{{- end -}}
{{- range $k, $uv := $u -}}
  {{- if not (hasKey $d $k) -}}
    {{- $_ := set $out $k $uv -}}
  {{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end }}

{{/* The proxy values of a (dict "Values" ... "context" ...), defaults filled in, as JSON. */}}
{{- define "mcp-trace-proxy.proxyValues" -}}
{{- $given := (.Values | default dict) | toJson | fromJson -}}
{{- include "mcp-trace-proxy.deepDefault" (dict "defaults" (include "mcp-trace-proxy.defaults" . | fromYaml) "values" $given) -}}
{{- end }}

{{/* The proxy container, as one item of a `containers:` list. */}}
{{- define "mcp-trace-proxy.sidecar" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" . | fromJson -}}
{{- $ctx := required "mcp-trace-proxy.sidecar: pass (dict \"Values\" <proxy values> \"context\" $)" .context -}}
{{- $upstream := tpl (toString (required "mcp-trace-proxy: `upstream` is required: the MCP server's URL, e.g. http://127.0.0.1:3001/mcp" $v.upstream)) $ctx -}}
{{- $proxyPort := int $v.ports.proxy -}}
{{- $adminPort := int $v.ports.admin -}}
- name: {{ $v.containerName }}
  image: {{ printf "%s:%s" $v.image.repository (toString ($v.image.tag | default (include "mcp-trace-proxy.appVersion" .))) | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- with $v.extraArgs }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - name: {{ $v.ports.proxyName }}
      containerPort: {{ $proxyPort }}
      protocol: TCP
    - name: {{ $v.ports.adminName }}
      containerPort: {{ $adminPort }}
      protocol: TCP
  env:
    - name: MCP_TRACE_PROXY_UPSTREAM
      value: {{ $upstream | quote }}
    - name: MCP_TRACE_PROXY_HOST
      value: "0.0.0.0"
    - name: MCP_TRACE_PROXY_PORT
      value: {{ $proxyPort | quote }}
    - name: MCP_TRACE_PROXY_ADMIN_PORT
      value: {{ $adminPort | quote }}
    {{- with $v.drainDelay }}
    - name: MCP_TRACE_PROXY_DRAIN_DELAY
      value: {{ toString . | quote }}
    {{- end }}
    {{- with $v.serviceName }}
    - name: OTEL_SERVICE_NAME
      value: {{ toString . | quote }}
    {{- end }}
    {{- with $v.otlp.endpoint }}
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: {{ tpl (toString .) $ctx | quote }}
    {{- end }}
    {{- with $v.otlp.headers.secretName }}
    - name: OTEL_EXPORTER_OTLP_HEADERS
      valueFrom:
        secretKeyRef:
          name: {{ tpl (toString .) $ctx | quote }}
          key: {{ required "mcp-trace-proxy: otlp.headers.secretKey is required with otlp.headers.secretName" $v.otlp.headers.secretKey | quote }}
    {{- end }}
    {{- with $v.otlp.compression }}
    - name: OTEL_EXPORTER_OTLP_COMPRESSION
      value: {{ toString . | quote }}
    {{- end }}
    {{- with $v.sampler.name }}
    - name: OTEL_TRACES_SAMPLER
      value: {{ toString . | quote }}
    {{- end }}
    {{- if ne (toString $v.sampler.arg) "" }}
    - name: OTEL_TRACES_SAMPLER_ARG
      value: {{ toString $v.sampler.arg | quote }}
    {{- end }}
    {{- if $v.k8sResourceAttributes }}
    - name: K8S_POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: K8S_POD_UID
      valueFrom:
        fieldRef:
          fieldPath: metadata.uid
    - name: K8S_NAMESPACE_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: K8S_NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: OTEL_RESOURCE_ATTRIBUTES
      value: "k8s.pod.name=$(K8S_POD_NAME),k8s.pod.uid=$(K8S_POD_UID),k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.node.name=$(K8S_NODE_NAME),k8s.container.name={{ $v.containerName }}"
    {{- end }}
    {{- with $v.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if $v.probes.liveness.enabled }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: {{ $adminPort }}
    {{- toYaml (omit $v.probes.liveness "enabled") | nindent 4 }}
  {{- end }}
  {{- if $v.probes.readiness.enabled }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: {{ $adminPort }}
    {{- toYaml (omit $v.probes.readiness "enabled") | nindent 4 }}
  {{- end }}
  {{- with $v.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The Prometheus scrape annotations for the pod, as YAML map entries (nothing when turned off). */}}
{{- define "mcp-trace-proxy.sidecarPodAnnotations" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" . | fromJson -}}
{{- if $v.prometheus.scrapeAnnotations -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ int $v.ports.admin | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* ---- the standard helpers of the standalone objects ---- */}}

{{- define "mcp-trace-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcp-trace-proxy.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mcp-trace-proxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcp-trace-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-trace-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mcp-trace-proxy.labels" -}}
helm.sh/chart: {{ include "mcp-trace-proxy.chart" . }}
{{ include "mcp-trace-proxy.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | toString | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: proxy
{{- end }}
