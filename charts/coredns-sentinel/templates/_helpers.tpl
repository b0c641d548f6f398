{{/* The release's full name: the chart's name when the release is named after it (coredns-sentinel). */}}
{{- define "sentinel.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sentinel.serviceAccountName" -}}
{{- default (include "sentinel.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* Every object's labels: the kustomize base's two, then Helm's own. */}}
{{- define "sentinel.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/part-of: coredns-sentinel
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sentinel.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sentinel.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Flags both commands take after --mode (a YAML list, one item a line). */}}
{{- define "sentinel.sharedArgs" -}}
{{- if .Values.repair.enabled }}
- --repair
{{- if ne .Values.repair.restartMethod "evict" }}
- --restart-method
- {{ .Values.repair.restartMethod }}
{{- end }}
{{- if not .Values.repair.quarantine }}
- --no-quarantine
{{- end }}
{{- end }}
{{- end -}}

{{- define "sentinel.tailArgs" -}}
{{- if ne .Values.dns.namespace "kube-system" }}
- --namespace
- {{ .Values.dns.namespace }}
{{- end }}
{{- if not .Values.freshness }}
- --no-freshness
{{- end }}
{{- if gt (int .Values.sampleServices) 0 }}
- --sample-services
- {{ .Values.sampleServices | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The pod spec both workloads share, less containers. */}}
{{- define "sentinel.podSpec" -}}
serviceAccountName: {{ include "sentinel.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The container fields both workloads share, after name, image and args. */}}
{{- define "sentinel.containerTail" -}}
{{- with .Values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "sentinel.subject" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "sentinel.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
