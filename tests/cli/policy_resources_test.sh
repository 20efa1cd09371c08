#!/usr/bin/env bash
# A GitOps repository of CompliancePolicy and namespaced CompliancePolicyException
# resources is read by lint, check and test as the cluster loads it: an exception
# kept in a namespace waives only there (--controller-namespace: anywhere), and a
# policy or exception manifest sent through `check -f` gets the verdict the webhook
# gives it at admission (clausegate-policy-resources/loads, field:line:col).
set -u
bin=${CLAUSEGATE:?path to the clausegate binary}
fails=0; passes=0
tmp=$(mktemp -d); out=$tmp/out; err=$tmp/err
trap 'rm -rf "$tmp"' EXIT
run() { "$bin" "$@" >"$out" 2>"$err"; echo $?; }
expect() { if [ "$2" = 0 ]; then passes=$((passes+1)); else echo "FAIL $1"; echo "  stdout: $(head -c 2000 "$out")"; echo "  stderr: $(cat "$err")"; fails=$((fails+1)); fi; }
NOW=(--now 2026-06-01T00:00:00Z)

repo=$tmp/repo
mkdir -p "$repo/policies" "$repo/exceptions/shop" "$repo/exceptions/other"
cat >"$repo/policies/team-label.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicy
metadata:
  name: team-label
spec:
  controls: ["ISO27002:6.1.1"]
  severity: high
  match:
    resources: [{apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  validations:
    - name: team
      expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: "ConfigMaps name their team"
YAML
cat >"$repo/exceptions/shop/break-glass.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: break-glass, namespace: shop}
spec:
  policies: [{name: team-label, rules: [team]}]
  justification: "incident: labels restored after the outage"
  ticket: INC-42
  expires: "2099-01-01T00:00:00Z"
YAML
cat >"$repo/exceptions/other/lapsed.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: lapsed, namespace: other}
spec:
  policies: [{name: team-label}]
  justification: "was needed once"
  ticket: INC-7
  expires: "2026-01-01T00:00:00Z"
YAML
cat >"$tmp/configmaps.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: other}
YAML

rc=$(run lint -p "$repo")
[ "$rc" = 0 ]; expect lint-repo $?

# An exception kept in shop waives there only; the lapsed one in other waives nothing.
rc=$(run check -p "$repo" -f "$tmp/configmaps.yaml" "${NOW[@]}")
[ "$rc" = 1 ] && grep -A3 'ConfigMap shop/cm' "$out" | grep -q 'EXCEPTED team-label/team' &&
  grep -A3 'ConfigMap other/cm' "$out" | grep -q 'DENY     team-label/team' &&
  grep -q 'waived by exception shop/break-glass, ticket INC-42' "$out"; expect confined-to-its-namespace $?
# The controller's namespace: an exception kept there waives anywhere.
rc=$(run check -p "$repo" -f "$tmp/configmaps.yaml" "${NOW[@]}" --controller-namespace shop)
[ "$rc" = 0 ] && [ "$(grep -c 'EXCEPTED team-label/team' "$out")" = 2 ]; expect controller-namespace $?

# `test` reads the same repository: a suite of the policy with the repo's exceptions.
mkdir -p "$repo/tests"
cat >"$repo/tests/team-label-test.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: PolicyTest
metadata: {name: team-label}
spec:
  exceptions: [../exceptions/shop/break-glass.yaml, ../exceptions/other/lapsed.yaml]
  now: "2026-06-01T00:00:00Z"
  resources: [../../configmaps.yaml]
  results:
    - {policy: team-label, rule: team, resources: [ConfigMap/shop/cm], result: excepted}
    - {policy: team-label, rule: team, resources: [ConfigMap/other/cm], result: fail}
YAML
rc=$(run test -p "$repo")
[ "$rc" = 0 ]; expect test-suite $?
rm -rf "$repo/tests"

# The manifests themselves, as `kubectl apply` would send them: the webhook's verdict.
broken=$tmp/broken-policy.yaml
sed 's/"has(object.metadata.labels) \&\& .*"/"object.metadata.labels.team == 1 +"/' "$repo/policies/team-label.yaml" >"$broken"
rc=$(run lint -p "$broken")
lint_message=$(grep -ho 'spec.validations\[0\]\.expression: .*' "$out" "$err" | head -1 | sed 's/^[^ ]* //')
[ "$rc" != 0 ] && [ -n "$lint_message" ]; expect lint-broken $?
rc=$(run check -p "$repo" -f "$broken" "${NOW[@]}")
[ "$rc" = 1 ] && grep -q 'DENY     clausegate-policy-resources/loads' "$out" &&
  grep -Eq "spec\.validations\[0\]\.expression:1:[0-9]+: $lint_message" "$out"; expect check-broken-policy $?
cat >"$tmp/no-ticket.yaml" <<'YAML'
apiVersion: clausegate.io/v1alpha1
kind: CompliancePolicyException
metadata: {name: no-ticket, namespace: shop}
spec:
  policies: [{name: team-label}]
  justification: "because"
  expires: "2099-01-01T00:00:00Z"
YAML
rc=$(run check -p "$repo" -f "$tmp/no-ticket.yaml" "${NOW[@]}")
[ "$rc" = 1 ] && grep -q 'DENY     clausegate-policy-resources/loads' "$out" && grep -q 'spec.ticket' "$out"; expect check-exception-no-ticket $?
rc=$(run check -p "$repo" -f "$repo/exceptions/other/lapsed.yaml" "${NOW[@]}")
[ "$rc" = 1 ] && grep -q 'not in the future' "$out"; expect check-exception-expired $?
# Checked against the set that ships in files: good resources are admitted, one that
# would replace a file's policy is not.
shipped=(-p "$(cd "$(dirname "$0")/../.." && pwd)/policies/secure-configuration")
rc=$(run check "${shipped[@]}" -f "$repo/policies/team-label.yaml" -f "$repo/exceptions/shop/break-glass.yaml" "${NOW[@]}")
[ "$rc" = 0 ] && grep -q '^2 objects checked: 0 denied' "$out"; expect check-good-resources-admitted $?
rc=$(run check -p "$repo" -f "$repo/policies/team-label.yaml" "${NOW[@]}")
[ "$rc" = 1 ] && grep -q 'a policy named "team-label" is loaded from .*team-label.yaml; a CompliancePolicy cannot replace it' "$out"
expect check-policy-named-as-a-files $?

echo "policy resources from files: $passes passed, $fails failed"
[ "$fails" = 0 ]
