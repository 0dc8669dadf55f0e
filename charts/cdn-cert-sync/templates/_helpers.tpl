{{/*
Chart name, truncated to 63 characters (the DNS-1123 label limit).
*/}}
{{- define "cdn-cert-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name, plus the chart name unless the release name
already contains it; truncated to 63 characters.
*/}}
{{- define "cdn-cert-sync.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "cdn-cert-sync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "cdn-cert-sync.labels" -}}
helm.sh/chart: {{ include "cdn-cert-sync.chart" . }}
{{ include "cdn-cert-sync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cdn-cert-sync
{{- end }}

{{/*
Selector labels: stable across upgrades (Deployment selectors are immutable).
*/}}
{{- define "cdn-cert-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdn-cert-sync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "cdn-cert-sync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cdn-cert-sync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "cdn-cert-sync.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
"true" when leader election runs: more than one replica, or leaderElection.enabled.
*/}}
{{- define "cdn-cert-sync.leaderElect" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.leaderElection.enabled }}true{{ else }}false{{ end }}
{{- end }}

{{/*
Name of the leader Lease.
*/}}
{{- define "cdn-cert-sync.leaseName" -}}
{{- .Values.leaderElection.leaseName | default (printf "%s-leader" (include "cdn-cert-sync.fullname" .)) }}
{{- end }}

{{/*
Name of the metrics Service (a DNS-1035 label: at most 63 characters).
*/}}
{{- define "cdn-cert-sync.metricsServiceName" -}}
{{- printf "%s-metrics" (include "cdn-cert-sync.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{/*
The operator's rules on bindings, Secrets and Events: the ClusterRole's rules,
or each watched namespace's Role's. Identical to deploy/rbac/cluster_role.yaml,
which documents each rule (test/deploy/rbac.test.ts checks they match).
*/}}
{{- define "cdn-cert-sync.rules" -}}
- apiGroups: ["cdn-cert-sync.io"]
  resources: ["cdncertificatebindings"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["cdn-cert-sync.io"]
  resources: ["cdncertificatebindings/finalizers"]
  verbs: ["update"]
- apiGroups: ["cdn-cert-sync.io"]
  resources: ["cdncertificatebindings/status"]
  verbs: ["patch", "update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
