{{/*
Public, for your own charts (this chart as a dependency, `standalone.enabled: false`):

  {{ include "mcp-trace-proxy.sidecar" (dict "Values" <proxy values> "context" $) }}
      the proxy container, as one item of a pod's `containers:` list, or with `sidecar.native: true` of
      its `initContainers:` list. <proxy values> is a map with this chart's keys: `index .Values
      "mcp-trace-proxy"` for the dependency's values, or any map of your own; keys it lacks take this
      chart's defaults. `context` is your root context (`$`), used to `tpl` the upstream, the OTLP
      endpoint and the Secret names.

  {{ include "mcp-trace-proxy.sidecarPodAnnotations" (dict "Values" <proxy values> "context" $) }}
      the prometheus.io/scrape, /port, /path pod annotations (empty when prometheus.scrapeAnnotations
      is false or metrics.exporter has no prometheus), as YAML map entries.

  {{ include "mcp-trace-proxy.sidecarVolumes" (dict "Values" <proxy values> "context" $) }}
      the volumes the container mounts (otlp.tls, extraVolumes), as items of the pod's `volumes:` list
      (empty when there are none).
*/}}

{{/* The proxy container. */}}
{{- define "mcp-trace-proxy.sidecar" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" . | fromJson -}}
{{- $ctx := required "mcp-trace-proxy.sidecar: pass (dict \"Values\" <proxy values> \"context\" $)" .context -}}
{{- include "mcp-trace-proxy.validate" (dict "v" $v "context" $ctx) -}}
{{- $global := $v.global | default ($ctx.Values.global | default dict) -}}
{{- $upstream := tpl (toString $v.upstream) $ctx -}}
{{- $proxyPort := int $v.ports.proxy -}}
{{- $adminPort := int $v.ports.admin -}}
{{- $exporters := include "mcp-trace-proxy.metricsExporters" $v | fromJsonArray -}}
{{- $tls := $v.otlp.tls | default dict -}}
{{- $env := list
  (dict "name" "MCP_TRACE_PROXY_UPSTREAM" "value" $upstream)
  (dict "name" "MCP_TRACE_PROXY_HOST" "value" (toString $v.host))
  (dict "name" "MCP_TRACE_PROXY_PORT" "value" (toString $proxyPort))
  (dict "name" "MCP_TRACE_PROXY_ADMIN_PORT" "value" (toString $adminPort))
  (dict "name" "MCP_TRACE_PROXY_UI" "value" (ternary "true" "false" (($v.ui | default dict).enabled | default false)))
  (dict "name" "OTEL_METRICS_EXPORTER" "value" (join "," $exporters | default "none")) -}}
{{- with $v.drainDelay }}{{ $env = append $env (dict "name" "MCP_TRACE_PROXY_DRAIN_DELAY" "value" (toString .)) }}{{ end -}}
{{- with $v.shutdownGrace }}{{ $env = append $env (dict "name" "MCP_TRACE_PROXY_SHUTDOWN_GRACE" "value" (toString .)) }}{{ end -}}
{{- with $v.serviceName }}{{ $env = append $env (dict "name" "OTEL_SERVICE_NAME" "value" (toString .)) }}{{ end -}}
{{- with $v.otlp.endpoint }}{{ $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" (tpl (toString .) $ctx)) }}{{ end -}}
{{- with $v.otlp.protocol }}{{ $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_PROTOCOL" "value" (toString .)) }}{{ end -}}
{{- with $v.otlp.headers.secretName -}}
  {{- $ref := dict "name" (tpl (toString .) $ctx) "key" (required "mcp-trace-proxy: otlp.headers.secretKey is required with otlp.headers.secretName" $v.otlp.headers.secretKey) -}}
  {{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_HEADERS" "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- with $v.otlp.compression }}{{ $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_COMPRESSION" "value" (toString .)) }}{{ end -}}
{{- if $tls.secretName -}}
  {{- with $tls.caKey }}{{ $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_CERTIFICATE" "value" (printf "%s/%s" $tls.mountPath .)) }}{{ end -}}
  {{- if $tls.certKey -}}
    {{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" "value" (printf "%s/%s" $tls.mountPath $tls.certKey)) -}}
    {{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_CLIENT_KEY" "value" (printf "%s/%s" $tls.mountPath $tls.keyKey)) -}}
  {{- end -}}
{{- end -}}
{{- with $v.sampler.name }}{{ $env = append $env (dict "name" "OTEL_TRACES_SAMPLER" "value" (toString .)) }}{{ end -}}
{{- if ne (toString $v.sampler.arg) "" }}{{ $env = append $env (dict "name" "OTEL_TRACES_SAMPLER_ARG" "value" (toString $v.sampler.arg)) }}{{ end -}}
{{- /* OTEL_RESOURCE_ATTRIBUTES: the k8s.* ones (downward API, expanded by the kubelet), then the user's,
percent-encoded as the variable requires (and `$`, which the kubelet would expand). */ -}}
{{- $attrs := list -}}
{{- $ownKeys := list -}}
{{- range $k, $val := ($v.resourceAttributes | default dict) -}}
  {{- $ownKeys = append $ownKeys $k -}}
{{- end -}}
{{- if $v.k8sResourceAttributes -}}
  {{- range $var := list (list "K8S_POD_NAME" "metadata.name" "k8s.pod.name") (list "K8S_POD_UID" "metadata.uid" "k8s.pod.uid") (list "K8S_NAMESPACE_NAME" "metadata.namespace" "k8s.namespace.name") (list "K8S_NODE_NAME" "spec.nodeName" "k8s.node.name") -}}
    {{- $env = append $env (dict "name" (index $var 0) "valueFrom" (dict "fieldRef" (dict "fieldPath" (index $var 1)))) -}}
    {{- if not (has (index $var 2) $ownKeys) }}{{ $attrs = append $attrs (printf "%s=$(%s)" (index $var 2) (index $var 0)) }}{{ end -}}
  {{- end -}}
  {{- if not (has "k8s.container.name" $ownKeys) }}{{ $attrs = append $attrs (printf "k8s.container.name=%s" $v.containerName) }}{{ end -}}
{{- end -}}
{{- range $k := $ownKeys | sortAlpha -}}
  {{- $val := toString (get $v.resourceAttributes $k) | replace "%" "%25" | replace "," "%2C" | replace "=" "%3D" | replace " " "%20" | replace "$" "%24" -}}
  {{- $attrs = append $attrs (printf "%s=%s" $k $val) -}}
{{- end -}}
{{- with $attrs }}{{ $env = append $env (dict "name" "OTEL_RESOURCE_ATTRIBUTES" "value" (join "," .)) }}{{ end -}}
{{- /* extraEnv must not set a variable the chart sets: there would be two, and the last would win. */ -}}
{{- $chartNames := list -}}
{{- range $env }}{{ $chartNames = append $chartNames .name }}{{ end -}}
{{- $valueOf := dict "OTEL_RESOURCE_ATTRIBUTES" "resourceAttributes, a map merged into it" "OTEL_METRICS_EXPORTER" "metrics.exporter" "MCP_TRACE_PROXY_UI" "ui.enabled"
  "MCP_TRACE_PROXY_HOST" "host" "MCP_TRACE_PROXY_PORT" "ports.proxy" "MCP_TRACE_PROXY_ADMIN_PORT" "ports.admin" "MCP_TRACE_PROXY_UPSTREAM" "upstream"
  "MCP_TRACE_PROXY_DRAIN_DELAY" "drainDelay" "MCP_TRACE_PROXY_SHUTDOWN_GRACE" "shutdownGrace" "OTEL_SERVICE_NAME" "serviceName"
  "OTEL_EXPORTER_OTLP_ENDPOINT" "otlp.endpoint" "OTEL_EXPORTER_OTLP_PROTOCOL" "otlp.protocol" "OTEL_EXPORTER_OTLP_HEADERS" "otlp.headers.secretName" "OTEL_EXPORTER_OTLP_COMPRESSION" "otlp.compression"
  "OTEL_TRACES_SAMPLER" "sampler.name" "OTEL_TRACES_SAMPLER_ARG" "sampler.arg" -}}
{{- range $v.extraEnv -}}
  {{- if has .name $chartNames -}}
    {{- fail (printf "mcp-trace-proxy: extraEnv sets %s, which the chart sets already: use %s" .name (get $valueOf .name | default "otlp.tls or k8sResourceAttributes")) -}}
  {{- end -}}
{{- end -}}
{{- $env = concat $env ($v.extraEnv | default list) -}}
{{- $mounts := list -}}
{{- if $tls.secretName -}}
  {{- $mounts = append $mounts (dict "name" (printf "%s-otlp-tls" $v.containerName | trunc 63 | trimSuffix "-") "mountPath" $tls.mountPath "readOnly" true) -}}
{{- end -}}
{{- $mounts = concat $mounts ($v.extraVolumeMounts | default list) -}}
{{- $native := ($v.sidecar | default dict).native | default false -}}
{{- $startup := $v.startupProbe | default dict -}}
{{- if and $native (not $startup) }}{{ $startup = dict "periodSeconds" 1 "timeoutSeconds" 2 "failureThreshold" 30 }}{{ end -}}
- name: {{ $v.containerName }}
  image: {{ include "mcp-trace-proxy.image" (dict "image" $v.image "global" $global) | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if $native }}
  restartPolicy: Always
  {{- end }}
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
    {{- toYaml $env | nindent 4 }}
  {{- with $v.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mounts }}
  volumeMounts:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $startup }}
  startupProbe:
    {{- if not (or .httpGet .tcpSocket .exec .grpc) }}
    httpGet:
      path: /healthz
      port: {{ $adminPort }}
    {{- end }}
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if ($v.probes.liveness | default dict).enabled }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: {{ $adminPort }}
    {{- toYaml (omit $v.probes.liveness "enabled") | nindent 4 }}
  {{- end }}
  {{- if ($v.probes.readiness | default dict).enabled }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: {{ $adminPort }}
    {{- toYaml (omit $v.probes.readiness "enabled") | nindent 4 }}
  {{- end }}
  {{- with $v.lifecycle }}
  lifecycle:
    {{- toYaml . | nindent 4 }}
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
{{- $exporters := include "mcp-trace-proxy.metricsExporters" $v | fromJsonArray -}}
{{- if and $v.prometheus.scrapeAnnotations (has "prometheus" $exporters) -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ int $v.ports.admin | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* The pod volumes the proxy container mounts, as items of a `volumes:` list (nothing when none). */}}
{{- define "mcp-trace-proxy.sidecarVolumes" -}}
{{- $v := include "mcp-trace-proxy.proxyValues" . | fromJson -}}
{{- $ctx := required "mcp-trace-proxy.sidecarVolumes: pass (dict \"Values\" <proxy values> \"context\" $)" .context -}}
{{- $tls := $v.otlp.tls | default dict -}}
{{- $vols := list -}}
{{- if $tls.secretName -}}
  {{- $items := list -}}
  {{- range $key := list $tls.caKey $tls.certKey $tls.keyKey | compact }}{{ $items = append $items (dict "key" $key "path" $key) }}{{ end -}}
  {{- $vols = append $vols (dict "name" (printf "%s-otlp-tls" $v.containerName | trunc 63 | trimSuffix "-") "secret" (dict "secretName" (tpl (toString $tls.secretName) $ctx) "items" $items)) -}}
{{- end -}}
{{- $vols = concat $vols ($v.extraVolumes | default list) -}}
{{- with $vols }}{{ toYaml . }}{{ end -}}
{{- end }}
