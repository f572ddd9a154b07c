{{/*
mcp-trace-proxy helpers: names, labels, the image reference.

The public templates, for your own charts (this chart as a dependency, `standalone.enabled: false`), are
in _sidecar.tpl: "mcp-trace-proxy.sidecar", "mcp-trace-proxy.sidecarPodAnnotations" and
"mcp-trace-proxy.sidecarVolumes".
*/}}

{{/* The image reference of proxy values $v (defaults filled in); .global is the chart's `global`.
global.imageRegistry replaces image.registry; a digest wins over the tag. */}}
{{- define "mcp-trace-proxy.image" -}}
{{- $img := .image -}}
{{- $registry := (.global | default dict).imageRegistry | default $img.registry | default "" | trimSuffix "/" -}}
{{- $ref := $img.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $ref $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (toString ($img.tag | default (include "mcp-trace-proxy.appVersion" .))) -}}
{{- end -}}
{{- end }}

{{/* A valid label value for app.kubernetes.io/version from the image tag (or the appVersion): at most 63
characters of [A-Za-z0-9._-], starting and ending with a letter or digit. */}}
{{- define "mcp-trace-proxy.versionLabel" -}}
{{- $tag := toString (.Values.image.tag | default (include "mcp-trace-proxy.appVersion" .)) -}}
{{- $s := regexReplaceAll "[^A-Za-z0-9._-]" $tag "_" | trunc 63 -}}
{{- regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" $s "" -}}
{{- end }}

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
app.kubernetes.io/version: {{ include "mcp-trace-proxy.versionLabel" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: proxy
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "mcp-trace-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "mcp-trace-proxy.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* The metrics exporters of proxy values $v, as a list: "prometheus", "otlp", both, or none. */}}
{{- define "mcp-trace-proxy.metricsExporters" -}}
{{- $e := toString .metrics.exporter -}}
{{- if eq $e "both" }}{{ $e = "prometheus,otlp" }}{{ end -}}
{{- if eq $e "none" }}{{ $e = "" }}{{ end -}}
{{- toJson (splitList "," $e | compact) -}}
{{- end }}

{{/* Whether the admin port serves anything beyond the probes (metrics or the live view): "true" or "". */}}
{{- define "mcp-trace-proxy.adminServes" -}}
{{- $exp := include "mcp-trace-proxy.metricsExporters" . | fromJsonArray -}}
{{- if or (has "prometheus" $exp) .ui.enabled }}true{{ end -}}
{{- end }}

{{/* The name of the dashboard's ConfigMap. */}}
{{- define "mcp-trace-proxy.dashboardName" -}}
{{- printf "%s-dashboard" (include "mcp-trace-proxy.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}
