{{/*
Names. Kubernetes names are limited to 63 characters, so every name is truncated there.
*/}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: the release name, with the chart name appended unless the release name already contains it.
*/}}
{{- define "vigil.fullname" -}}
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

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource. The selector labels are the subset that never changes across upgrades.
*/}}
{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/part-of: vigil
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vigil.leaseName" -}}
{{- default (include "vigil.fullname" .) .Values.controller.leaderElection.leaseName }}
{{- end }}

{{/*
The image reference: repository:tag, or repository@digest when a digest pins it.
*/}}
{{- define "vigil.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The Secrets the controller may read, by name: the forge credentials, the webhook secret and any extra names.
Rendered as a JSON list so callers can test for emptiness.
*/}}
{{- define "vigil.secretNames" -}}
{{- $names := list }}
{{- with .Values.github.tokenSecret.name }}{{ $names = append $names . }}{{ end }}
{{- with .Values.github.app.privateKeySecret.name }}{{ $names = append $names . }}{{ end }}
{{- if .Values.webhook.enabled }}
{{- with .Values.webhook.secret.name }}{{ $names = append $names . }}{{ end }}
{{- end }}
{{- range .Values.additionalSecretNames }}{{ $names = append $names . }}{{ end }}
{{- $names | uniq | sortAlpha | toJson }}
{{- end }}

{{/*
Rules on Vigil's kinds. Promotions are written by the controller; the declared kinds are only read and patched
(status, finalizers and the controller's annotations).
*/}}
{{- define "vigil.kindRules" -}}
- apiGroups: ["vigil.dev"]
  resources: ["usecases", "datacontracts", "releasetrains", "surveillancepolicies", "signoffpolicies"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["vigil.dev"]
  resources: ["promotions"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["vigil.dev"]
  resources:
    - usecases/status
    - datacontracts/status
    - releasetrains/status
    - surveillancepolicies/status
    - signoffpolicies/status
    - promotions/status
  verbs: ["get", "update", "patch"]
- apiGroups: ["vigil.dev"]
  resources:
    - usecases/finalizers
    - datacontracts/finalizers
    - releasetrains/finalizers
    - surveillancepolicies/finalizers
    - signoffpolicies/finalizers
    - promotions/finalizers
  verbs: ["update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
