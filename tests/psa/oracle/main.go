// Command psa-oracle is the reference side of the Pod Security differential test
// (tests/psa/psa_differential_test.py). It judges objects with Kubernetes' own code:
// k8s.io/pod-security-admission for the verdicts, k8s.io/apimachinery's YAML stream
// reader and sigs.k8s.io/yaml for YAML as kubectl reads it, and sigs.k8s.io/json for
// the typed decoding the API server does.
//
//	psa-oracle generate --seed S --count N   a YAML stream of N generated objects
//	psa-oracle evaluate                      one JSON verdict line per document on stdin
//	psa-oracle yaml2json                     one JSON line per document on stdin
//	psa-oracle checks                        the check IDs of each level, as JSON
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/admission"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "generate":
		fs := flag.NewFlagSet("generate", flag.ExitOnError)
		seed := fs.Uint64("seed", 1, "random seed")
		count := fs.Int("count", 100, "number of objects")
		_ = fs.Parse(os.Args[2:])
		w := bufio.NewWriter(os.Stdout)
		generate(w, *seed, *count)
		err = w.Flush()
	case "evaluate":
		fs := flag.NewFlagSet("evaluate", flag.ExitOnError)
		noDefaults := fs.Bool("no-defaults", false, "do not apply the API server's defaults for volumes and host-network ports")
		_ = fs.Parse(os.Args[2:])
		err = evaluate(os.Stdin, os.Stdout, !*noDefaults)
	case "yaml2json":
		err = yaml2json(os.Stdin, os.Stdout)
	case "checks":
		err = newEncoder(os.Stdout).Encode(levelChecks())
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa-oracle:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: psa-oracle generate --seed S --count N | evaluate [--no-defaults] | yaml2json | checks")
	os.Exit(2)
}

// ---------------------------------------------------------------------------
// Reading YAML streams as kubectl does

type document struct {
	index int
	json  []byte // YAMLToJSON output; nil when err is set
	err   error
}

// readDocuments splits a stream with apimachinery's YAMLReader (what kubectl's
// resource builder uses, through NewYAMLOrJSONDecoder) and converts each document with
// sigs.k8s.io/yaml.YAMLToJSON. Documents that are empty or null are dropped, as
// kubectl's StreamVisitor drops them. A broken separator ends the stream, as it ends
// kubectl's.
func readDocuments(r io.Reader, visit func(document) error) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReaderSize(r, 1<<16))
	for index := 0; ; index++ {
		raw, err := reader.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return visit(document{index: index, err: fmt.Errorf("reading the stream: %w", err)})
		}
		j, err := yaml.YAMLToJSON(raw)
		if err != nil {
			if verr := visit(document{index: index, err: err}); verr != nil {
				return verr
			}
			continue
		}
		j = bytes.TrimSpace(j)
		if len(j) == 0 || bytes.Equal(j, []byte("null")) {
			continue
		}
		if verr := visit(document{index: index, json: j}); verr != nil {
			return verr
		}
	}
}

func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

func yaml2json(r io.Reader, w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := newEncoder(bw)
	err := readDocuments(r, func(d document) error {
		line := map[string]any{"index": d.index}
		if d.err != nil {
			line["error"] = d.err.Error()
		} else {
			line["json"] = json.RawMessage(d.json)
		}
		return enc.Encode(line)
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// ---------------------------------------------------------------------------
// Evaluating documents with the Pod Security admission library

type levelResult struct {
	Allowed bool     `json:"allowed"`
	Checks  []string `json:"checks"`
	Reasons []string `json:"reasons"`
}

type verdictLine struct {
	Index      int             `json:"index"`
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	JSON       json.RawMessage `json:"json"`
	Error      string          `json:"error,omitempty"`
	Skipped    bool            `json:"skipped,omitempty"`
	Baseline   *levelResult    `json:"baseline,omitempty"`
	Restricted *levelResult    `json:"restricted,omitempty"`
}

// podKinds are the kinds the admission library extracts a pod spec from
// (admission.DefaultPodSpecExtractor), by apiVersion and kind.
var podKinds = map[string]func() runtime.Object{
	"v1/Pod":                   func() runtime.Object { return &corev1.Pod{} },
	"v1/PodTemplate":           func() runtime.Object { return &corev1.PodTemplate{} },
	"v1/ReplicationController": func() runtime.Object { return &corev1.ReplicationController{} },
	"apps/v1/Deployment":       func() runtime.Object { return &appsv1.Deployment{} },
	"apps/v1/ReplicaSet":       func() runtime.Object { return &appsv1.ReplicaSet{} },
	"apps/v1/StatefulSet":      func() runtime.Object { return &appsv1.StatefulSet{} },
	"apps/v1/DaemonSet":        func() runtime.Object { return &appsv1.DaemonSet{} },
	"batch/v1/Job":             func() runtime.Object { return &batchv1.Job{} },
	"batch/v1/CronJob":         func() runtime.Object { return &batchv1.CronJob{} },
}

var podKindNames = map[string]bool{
	"Pod": true, "PodTemplate": true, "ReplicationController": true, "Deployment": true, "ReplicaSet": true,
	"StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true,
}

// failed collects the IDs of the checks that deny the pod being evaluated. Every
// check's CheckPod function is wrapped to record its ID, so the evaluator built by
// policy.NewEvaluator keeps its own selection of checks (levels, versions, the
// restricted checks that override baseline ones) and the IDs come from the checks
// that actually ran.
var failed []string

func recordingChecks() []policy.Check {
	checks := policy.DefaultChecks()
	for i := range checks {
		id := string(checks[i].ID)
		for j := range checks[i].Versions {
			fn := checks[i].Versions[j].CheckPod
			checks[i].Versions[j].CheckPod = func(m *metav1.ObjectMeta, s *corev1.PodSpec) policy.CheckResult {
				r := fn(m, s)
				if !r.Allowed {
					failed = append(failed, id)
				}
				return r
			}
		}
	}
	return checks
}

// levelChecks lists the IDs of the checks each level runs at the latest policy
// version: the baseline checks, and for restricted the restricted checks plus the
// baseline checks that none of them overrides.
func levelChecks() map[string][]string {
	out := map[string][]string{"baseline": {}, "restricted": {}}
	overridden := map[policy.CheckID]bool{}
	for _, c := range policy.DefaultChecks() {
		if c.Level == api.LevelRestricted {
			for _, id := range c.Versions[len(c.Versions)-1].OverrideCheckIDs {
				overridden[id] = true
			}
		}
	}
	for _, c := range policy.DefaultChecks() {
		if c.Level == api.LevelBaseline {
			out["baseline"] = append(out["baseline"], string(c.ID))
			if !overridden[c.ID] {
				out["restricted"] = append(out["restricted"], string(c.ID))
			}
		} else {
			out["restricted"] = append(out["restricted"], string(c.ID))
		}
	}
	sort.Strings(out["baseline"])
	sort.Strings(out["restricted"])
	return out
}

func evaluate(r io.Reader, w io.Writer, defaults bool) error {
	recording, err := policy.NewEvaluator(recordingChecks(), nil)
	if err != nil {
		return err
	}
	plain, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return err
	}
	judge := func(level api.Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (*levelResult, error) {
		lv := api.LevelVersion{Level: level, Version: api.LatestVersion()}
		failed = nil
		results := recording.EvaluatePod(lv, meta, spec)
		agg := policy.AggregateCheckResults(results)
		// The wrapping must not change anything: the unwrapped evaluator agrees.
		if reference := policy.AggregateCheckResults(plain.EvaluatePod(lv, meta, spec)); reference.Allowed != agg.Allowed {
			return nil, fmt.Errorf("internal error: wrapped checks disagree with the evaluator")
		}
		out := &levelResult{Allowed: agg.Allowed, Checks: []string{}, Reasons: []string{}}
		out.Checks = append(out.Checks, failed...)
		for i := range agg.ForbiddenReasons {
			reason := agg.ForbiddenReasons[i]
			if agg.ForbiddenDetails[i] != "" {
				reason += ": " + agg.ForbiddenDetails[i]
			}
			out.Reasons = append(out.Reasons, reason)
		}
		if len(out.Checks) != len(out.Reasons) {
			return nil, fmt.Errorf("internal error: %d failing checks but %d reasons", len(out.Checks), len(out.Reasons))
		}
		return out, nil
	}

	bw := bufio.NewWriter(w)
	enc := newEncoder(bw)
	err = readDocuments(r, func(d document) error {
		line := verdictLine{Index: d.index, JSON: json.RawMessage("null")}
		if d.err != nil {
			line.Error = d.err.Error()
			return enc.Encode(line)
		}
		line.JSON = json.RawMessage(d.json)
		obj, meta, spec, skipped, kind, name, err := decode(d.json, defaults)
		line.Kind, line.Name = kind, name
		switch {
		case err != nil:
			line.Error = err.Error()
		case skipped:
			line.Skipped = true
		default:
			_ = obj
			if line.Baseline, err = judge(api.LevelBaseline, meta, spec); err != nil {
				return err
			}
			if line.Restricted, err = judge(api.LevelRestricted, meta, spec); err != nil {
				return err
			}
		}
		return enc.Encode(line)
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// decode turns one document into the typed object of its kind, as the API server does,
// and extracts the pod metadata and spec the admission library judges.
//
// The kind comes from the document itself, read case-sensitively into a map as
// kubectl's unstructured decoding reads it (a document without apiVersion or kind is
// refused by kubectl before it reaches a server).
//
// The typed decoding is sigs.k8s.io/json's UnmarshalCaseSensitivePreserveInts because
// that is the call the API server makes: request bodies go through
// k8s.io/apimachinery/pkg/runtime/serializer/json.Serializer.Decode, whose unmarshal
// step is kjson.UnmarshalCaseSensitivePreserveInts(data, into) (strict field
// validation only adds errors for unknown and duplicate fields on top of it). Keys
// match struct tags exactly ("Privileged" is an unknown field, dropped), a value of
// the wrong JSON type is an error, and so is a number that does not fit the field
// (an int32 port of 2^31). The universal deserializer of a client-go scheme runs the
// same serializer; calling it directly avoids depending on client-go's scheme for
// nine kinds whose Go types are known here.
//
// With defaults, the two API server defaults that change what the checks read are
// applied (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go): a volume without any
// source becomes an emptyDir (SetDefaults_Volume), and the ports of a Pod in the host
// network get hostPort = containerPort when hostPort is 0 (SetDefaults_Pod, Pods only).
// Nothing else the API server does before admission (validation, the pod strategy's
// PrepareForCreate) is reproduced.
func decode(j []byte, defaults bool) (obj runtime.Object, meta *metav1.ObjectMeta, spec *corev1.PodSpec, skipped bool, kind, name string, err error) {
	var generic any
	if err = kjson.UnmarshalCaseSensitivePreserveInts(j, &generic); err != nil {
		return nil, nil, nil, false, "", "", err
	}
	top, ok := generic.(map[string]any)
	if !ok {
		return nil, nil, nil, false, "", "", fmt.Errorf("a document must be an object, not %s", jsonType(generic))
	}
	kind, _ = top["kind"].(string)
	apiVersion, _ := top["apiVersion"].(string)
	if m, ok := top["metadata"].(map[string]any); ok {
		name, _ = m["name"].(string)
	}
	if kind == "" {
		return nil, nil, nil, false, kind, name, errors.New("Object 'Kind' is missing")
	}
	if apiVersion == "" {
		return nil, nil, nil, false, kind, name, errors.New("Object 'apiVersion' is missing")
	}
	newObj, ok := podKinds[apiVersion+"/"+kind]
	if !ok {
		// A pod kind in the wrong group version, or a kind that only looks like one
		// ("POD", "Pods"), is served by no API server: kubectl stops at it. Any other
		// kind (ConfigMap, Service, ...) carries no pod spec and is not judged.
		for k := range podKindNames {
			if strings.EqualFold(kind, k) || strings.EqualFold(kind, k+"s") {
				return nil, nil, nil, false, kind, name, fmt.Errorf("no matches for kind %q in version %q", kind, apiVersion)
			}
		}
		return nil, nil, nil, true, kind, name, nil
	}
	obj = newObj()
	if err = kjson.UnmarshalCaseSensitivePreserveInts(j, obj); err != nil {
		return nil, nil, nil, false, kind, name, err
	}
	meta, spec, err = admission.DefaultPodSpecExtractor{}.ExtractPodSpec(obj)
	if err != nil {
		return nil, nil, nil, false, kind, name, err
	}
	if meta == nil && spec == nil {
		return obj, nil, nil, true, kind, name, nil
	}
	if defaults {
		for i := range spec.Volumes {
			if allPtrFieldsNil(&spec.Volumes[i].VolumeSource) {
				spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
			}
		}
		if _, isPod := obj.(*corev1.Pod); isPod && spec.HostNetwork {
			for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
				for ci := range list {
					for pi := range list[ci].Ports {
						if list[ci].Ports[pi].HostPort == 0 {
							list[ci].Ports[pi].HostPort = list[ci].Ports[pi].ContainerPort
						}
					}
				}
			}
		}
	}
	return obj, meta, spec, false, kind, name, nil
}

// allPtrFieldsNil is k8s.io/utils/ptr.AllPtrFieldsNil: true when every pointer field of
// the struct is nil.
func allPtrFieldsNil(obj any) bool {
	v := reflect.ValueOf(obj).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			return false
		}
	}
	return true
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// ---------------------------------------------------------------------------
// Generating objects

type gen struct {
	r *rand.Rand
}

// del marks a key to remove when it is drawn as a value.
type delMarker struct{}

var del = delMarker{}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// A seccomp or AppArmor profile, one of n shapes: null, {}, a localhost profile without a
// type, a null type, absent (when withDelete), or a type drawn from types, sometimes
// with a localhost profile too.
func (g *gen) profile(n int, withDelete bool, localhost string, localhostChance float64, types ...any) any {
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return map[string]any{}
	case 2:
		return map[string]any{"localhostProfile": localhost}
	case 3:
		return map[string]any{"type": nil}
	case 4:
		if withDelete {
			return del
		}
	}
	m := map[string]any{"type": g.pick(types...)}
	if g.chance(localhostChance) {
		m["localhostProfile"] = g.pick(localhost, "", nil)
	}
	return m
}

func (g *gen) pick(xs ...any) any { return xs[g.r.IntN(len(xs))] }

func (g *gen) pickS(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// weighted picks an index with the given weights.
func (g *gen) weighted(ws ...int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range ws {
		if n < w {
			return i
		}
		n -= w
	}
	return len(ws) - 1
}

func set(m map[string]any, key string, v any) {
	if _, isDel := v.(delMarker); isDel {
		delete(m, key)
		return
	}
	m[key] = v
}

// sub returns m[key] as a map, replacing whatever else is there by a new map.
func sub(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}

type pod struct {
	meta map[string]any // the pod's (or template's) metadata
	spec map[string]any
}

// containers returns the container maps in a fixed order: init, regular, ephemeral.
func (p *pod) containers() []map[string]any {
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := p.spec[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func (g *gen) container(p *pod) map[string]any {
	cs := p.containers()
	if len(cs) == 0 {
		c := g.newContainer("c0", false, false)
		p.spec["containers"] = []any{c}
		return c
	}
	return cs[g.r.IntN(len(cs))]
}

func (g *gen) securityContext(c map[string]any) map[string]any { return sub(c, "securityContext") }

// target is the pod's securityContext or a container's, for the fields both have.
func (g *gen) target(p *pod) map[string]any {
	if g.chance(0.4) {
		return sub(p.spec, "securityContext")
	}
	return g.securityContext(g.container(p))
}

var images = []string{"registry.k8s.io/pause:3.10", "registry.example.com/app:1.2.3", "busybox", "nginx:1.27"}

func (g *gen) newContainer(name string, runAsNonRoot, seccomp bool) map[string]any {
	sc := map[string]any{
		"allowPrivilegeEscalation": false,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
	}
	if runAsNonRoot {
		sc["runAsNonRoot"] = true
	}
	if seccomp {
		sc["seccompProfile"] = g.goodSeccomp()
	}
	if g.chance(0.2) {
		sc["readOnlyRootFilesystem"] = true
	}
	if g.chance(0.15) {
		sc["runAsUser"] = g.pick(1000, 65534, 1)
	}
	if g.chance(0.1) {
		sc["capabilities"].(map[string]any)["add"] = []any{"NET_BIND_SERVICE"}
	}
	c := map[string]any{"name": name, "image": images[g.r.IntN(len(images))], "securityContext": sc}
	if g.chance(0.3) {
		c["ports"] = []any{map[string]any{"containerPort": g.pick(80, 8080, 8443), "protocol": "TCP"}}
	}
	if g.chance(0.15) {
		c["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080}}
	}
	return c
}

func (g *gen) goodSeccomp() map[string]any {
	if g.chance(0.8) {
		return map[string]any{"type": "RuntimeDefault"}
	}
	return map[string]any{"type": "Localhost", "localhostProfile": "profiles/audit.json"}
}

// basePod is a pod that the restricted level allows, written in one of several ways.
func (g *gen) basePod(name string) *pod {
	p := &pod{meta: map[string]any{"labels": map[string]any{"app": name}}, spec: map[string]any{}}
	podNonRoot := g.chance(0.7)
	podSeccomp := g.chance(0.7)
	psc := map[string]any{}
	if podNonRoot {
		psc["runAsNonRoot"] = true
	}
	if podSeccomp {
		psc["seccompProfile"] = g.goodSeccomp()
	}
	if g.chance(0.3) {
		psc["runAsUser"] = 1000
		psc["runAsGroup"] = 3000
		psc["fsGroup"] = 2000
	}
	if len(psc) > 0 || g.chance(0.5) {
		p.spec["securityContext"] = psc
	}
	mk := func(prefix string, n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, g.newContainer(fmt.Sprintf("%s%d", prefix, i), !podNonRoot, !podSeccomp))
		}
		return out
	}
	p.spec["containers"] = mk("c", 1+g.weighted(60, 30, 10))
	if n := g.weighted(70, 25, 5); n > 0 {
		p.spec["initContainers"] = mk("i", n)
	}
	if g.chance(0.08) {
		eph := mk("e", 1)
		eph[0].(map[string]any)["targetContainerName"] = "c0"
		delete(eph[0].(map[string]any), "ports")
		delete(eph[0].(map[string]any), "readinessProbe")
		p.spec["ephemeralContainers"] = eph
	}
	if g.chance(0.3) {
		vols := []any{}
		for i := 0; i < 1+g.r.IntN(2); i++ {
			vols = append(vols, g.allowedVolume(fmt.Sprintf("v%d", i)))
		}
		p.spec["volumes"] = vols
	}
	if g.chance(0.1) {
		p.spec["os"] = map[string]any{"name": "linux"}
	}
	if g.chance(0.1) {
		p.spec["automountServiceAccountToken"] = false
	}
	return p
}

func (g *gen) allowedVolume(name string) map[string]any {
	v := map[string]any{"name": name}
	switch g.r.IntN(9) {
	case 0:
		v["configMap"] = map[string]any{"name": "cm"}
	case 1:
		v["csi"] = map[string]any{"driver": "csi.example.com"}
	case 2:
		v["downwardAPI"] = map[string]any{"items": []any{map[string]any{"path": "labels", "fieldRef": map[string]any{"fieldPath": "metadata.labels"}}}}
	case 3:
		v["emptyDir"] = map[string]any{}
	case 4:
		v["ephemeral"] = map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}}}
	case 5:
		v["image"] = map[string]any{"reference": "registry.example.com/data:1"}
	case 6:
		v["persistentVolumeClaim"] = map[string]any{"claimName": "data"}
	case 7:
		v["projected"] = map[string]any{"sources": []any{map[string]any{"serviceAccountToken": map[string]any{"path": "token"}}}}
	default:
		v["secret"] = map[string]any{"secretName": "s"}
	}
	return v
}

var restrictedVolumeSources = []struct {
	key   string
	value func() any
}{
	{"hostPath", func() any { return map[string]any{"path": "/var/log"} }},
	{"gcePersistentDisk", func() any { return map[string]any{"pdName": "disk"} }},
	{"awsElasticBlockStore", func() any { return map[string]any{"volumeID": "vol-1"} }},
	{"gitRepo", func() any { return map[string]any{"repository": "https://example.com/r.git"} }},
	{"nfs", func() any { return map[string]any{"server": "nfs.example.com", "path": "/"} }},
	{"iscsi", func() any { return map[string]any{"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0} }},
	{"glusterfs", func() any { return map[string]any{"endpoints": "g", "path": "p"} }},
	{"rbd", func() any { return map[string]any{"monitors": []any{"m"}, "image": "i"} }},
	{"flexVolume", func() any { return map[string]any{"driver": "example/flex"} }},
	{"cinder", func() any { return map[string]any{"volumeID": "v"} }},
	{"cephfs", func() any { return map[string]any{"monitors": []any{"m"}} }},
	{"flocker", func() any { return map[string]any{"datasetName": "d"} }},
	{"fc", func() any { return map[string]any{"wwids": []any{"w"}} }},
	{"azureFile", func() any { return map[string]any{"secretName": "s", "shareName": "sh"} }},
	{"vsphereVolume", func() any { return map[string]any{"volumePath": "/v"} }},
	{"quobyte", func() any { return map[string]any{"registry": "r", "volume": "v"} }},
	{"azureDisk", func() any { return map[string]any{"diskName": "d", "diskURI": "u"} }},
	{"photonPersistentDisk", func() any { return map[string]any{"pdID": "p"} }},
	{"portworxVolume", func() any { return map[string]any{"volumeID": "v"} }},
	{"scaleIO", func() any {
		return map[string]any{"gateway": "g", "system": "s", "secretRef": map[string]any{"name": "s"}}
	}},
	{"storageos", func() any { return map[string]any{"volumeName": "v"} }},
}

// A mutation changes one thing that a check reads.
type mutation func(g *gen, p *pod)

var boolish = []any{true, false, nil, del}

var mutations = []struct {
	weight int
	fn     mutation
}{
	// privileged
	{6, func(g *gen, p *pod) {
		set(g.securityContext(g.container(p)), "privileged", g.pick(true, true, false, nil, del))
	}},
	// allowPrivilegeEscalation
	{6, func(g *gen, p *pod) {
		set(g.securityContext(g.container(p)), "allowPrivilegeEscalation", g.pick(true, nil, del, false))
	}},
	// runAsNonRoot, pod or container
	{6, func(g *gen, p *pod) { set(g.target(p), "runAsNonRoot", g.pick(boolish...)) }},
	// runAsNonRoot moved from the pod to every container, or from containers to the pod
	{2, func(g *gen, p *pod) {
		psc := sub(p.spec, "securityContext")
		if _, ok := psc["runAsNonRoot"]; ok {
			delete(psc, "runAsNonRoot")
			for i, c := range p.containers() {
				if i == 0 && g.chance(0.5) {
					continue // one container forgets
				}
				g.securityContext(c)["runAsNonRoot"] = true
			}
		} else {
			psc["runAsNonRoot"] = true
			for _, c := range p.containers() {
				if g.chance(0.3) {
					g.securityContext(c)["runAsNonRoot"] = g.pick(false, nil, true)
				}
			}
		}
	}},
	// runAsUser
	{5, func(g *gen, p *pod) { set(g.target(p), "runAsUser", g.pick(0, 0, 1000, nil, del, -1, 1)) }},
	// seccompProfile
	{8, func(g *gen, p *pod) {
		set(g.target(p), "seccompProfile", g.profile(10, true, "profiles/x.json", 0.4,
			"RuntimeDefault", "Localhost", "Unconfined", "Unconfined", "", "runtime/default", "runtimedefault", "RUNTIMEDEFAULT", "localhost/x"))
	}},
	// appArmorProfile
	{6, func(g *gen, p *pod) {
		set(g.target(p), "appArmorProfile", g.profile(8, false, "k8s-apparmor-example", 0.3,
			"RuntimeDefault", "Localhost", "Unconfined", "", "unconfined", "runtime/default", "localhost/x"))
	}},
	// seLinuxOptions
	{6, func(g *gen, p *pod) {
		var v any
		switch g.r.IntN(8) {
		case 0:
			v = nil
		case 1:
			v = map[string]any{}
		default:
			m := map[string]any{}
			for _, f := range []string{"type", "user", "role", "level"} {
				if !g.chance(0.5) {
					continue
				}
				switch f {
				case "type":
					m[f] = g.pick("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t", "Container_t", nil)
				case "level":
					m[f] = g.pick("s0:c123,c456", "", "s0")
				default:
					m[f] = g.pick("", "system_u", "system_r", "unconfined_u", nil)
				}
			}
			v = m
		}
		set(g.target(p), "seLinuxOptions", v)
	}},
	// capabilities.add
	{7, func(g *gen, p *pod) {
		caps := sub(g.securityContext(g.container(p)), "capabilities")
		var add []any
		for n := 1 + g.weighted(70, 20, 10); n > 0; n-- {
			add = append(add, g.pick("NET_BIND_SERVICE", "NET_BIND_SERVICE", "NET_RAW", "SYS_ADMIN", "CHOWN", "KILL", "AUDIT_WRITE",
				"SETFCAP", "SYS_CHROOT", "MKNOD", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETGID", "SETUID", "SETPCAP", "BPF",
				"", "ALL", "all", "net_bind_service", "CAP_NET_BIND_SERVICE", " NET_BIND_SERVICE", nil))
		}
		switch g.r.IntN(10) {
		case 0:
			set(caps, "add", g.pick(nil, []any{}, del))
		default:
			caps["add"] = add
		}
	}},
	// capabilities.drop
	{7, func(g *gen, p *pod) {
		sc := g.securityContext(g.container(p))
		switch g.r.IntN(10) {
		case 0:
			set(sc, "capabilities", g.pick(nil, map[string]any{}, del))
			return
		}
		caps := sub(sc, "capabilities")
		var drop []any
		for n := g.weighted(15, 60, 25); n > 0; n-- {
			drop = append(drop, g.pick("ALL", "all", "All", "", "NET_RAW", " ALL", "ALL ", "CAP_ALL", "NET_BIND_SERVICE", nil))
		}
		if drop == nil {
			set(caps, "drop", g.pick(nil, []any{}, del))
		} else {
			caps["drop"] = drop
		}
	}},
	// sysctls
	{5, func(g *gen, p *pod) {
		psc := sub(p.spec, "securityContext")
		switch g.r.IntN(8) {
		case 0:
			set(psc, "sysctls", g.pick(nil, []any{}, []any{nil}))
			return
		}
		var list []any
		for n := 1 + g.weighted(70, 30); n > 0; n-- {
			list = append(list, map[string]any{
				"name": g.pick("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
					"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
					"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
					"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
					"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
					"kernel.msgmax", "net.core.somaxconn", "vm.swappiness", "net.ipv4.ip_forward", "", "net/ipv4/tcp_syncookies",
					"Kernel.shm_rmid_forced", "kernel.shm_rmid_forced ", nil),
				"value": g.pick("1", "0", "1024 65535"),
			})
		}
		psc["sysctls"] = list
	}},
	// procMount
	{5, func(g *gen, p *pod) {
		set(g.securityContext(g.container(p)), "procMount", g.pick("Default", "Unmasked", "Unmasked", "", "default", "unmasked", nil, del))
	}},
	// windowsOptions.hostProcess
	{5, func(g *gen, p *pod) {
		sc := g.target(p)
		switch g.r.IntN(6) {
		case 0:
			set(sc, "windowsOptions", g.pick(nil, map[string]any{}, del))
		default:
			wo := sub(sc, "windowsOptions")
			set(wo, "hostProcess", g.pick(true, true, false, nil))
			if g.chance(0.3) {
				wo["runAsUserName"] = "NT AUTHORITY\\SYSTEM"
			}
		}
	}},
	// host namespaces
	{6, func(g *gen, p *pod) {
		set(p.spec, g.pickS("hostNetwork", "hostPID", "hostIPC"), g.pick(true, true, false, nil))
	}},
	// hostUsers (user namespaces relax runAsNonRoot, runAsUser and the baseline procMount)
	{5, func(g *gen, p *pod) { set(p.spec, "hostUsers", g.pick(false, false, true, nil)) }},
	// ports and hostPort
	{6, func(g *gen, p *pod) {
		c := g.container(p)
		switch g.r.IntN(8) {
		case 0:
			set(c, "ports", g.pick(nil, []any{}, []any{nil}))
			return
		}
		var ports []any
		for n := 1 + g.weighted(70, 30); n > 0; n-- {
			port := map[string]any{"containerPort": g.pick(80, 8080, 53)}
			set(port, "hostPort", g.pick(0, 80, 8080, 65535, nil, del, del))
			if g.chance(0.3) {
				port["protocol"] = g.pick("TCP", "UDP")
			}
			ports = append(ports, port)
		}
		c["ports"] = ports
	}},
	// volumes of every type
	{8, func(g *gen, p *pod) {
		vols, _ := p.spec["volumes"].([]any)
		name := fmt.Sprintf("v%d", len(vols))
		var v any
		switch g.r.IntN(12) {
		case 0:
			v = map[string]any{"name": name} // no source: defaulted to emptyDir
		case 1:
			v = nil
		case 2: // two sources
			s := restrictedVolumeSources[g.r.IntN(len(restrictedVolumeSources))]
			m := g.allowedVolume(name)
			m[s.key] = s.value()
			v = m
		case 3: // a restricted source written as null
			s := restrictedVolumeSources[g.r.IntN(len(restrictedVolumeSources))]
			m := map[string]any{"name": name, s.key: nil}
			if g.chance(0.5) {
				m["emptyDir"] = map[string]any{}
			}
			v = m
		case 4, 5:
			v = g.allowedVolume(name)
		case 6:
			v = map[string]any{"name": name, "hostPath": map[string]any{"path": g.pick("/", "/var/run/docker.sock", "/etc"), "type": g.pick("Directory", "Socket", "")}}
		default:
			s := restrictedVolumeSources[g.r.IntN(len(restrictedVolumeSources))]
			v = map[string]any{"name": name, s.key: s.value()}
		}
		if g.chance(0.05) {
			p.spec["volumes"] = g.pick(nil, []any{})
			return
		}
		p.spec["volumes"] = append(vols, v)
	}},
	// probes and lifecycle handlers with a host
	{6, func(g *gen, p *pod) {
		c := g.container(p)
		host := g.pick("127.0.0.1", "localhost", "example.com", "10.0.0.1", "", nil, del)
		action := func(allowSleep bool) map[string]any {
			switch g.r.IntN(5) {
			case 0:
				h := map[string]any{"port": 8080}
				set(h, "host", host)
				return map[string]any{"tcpSocket": h}
			case 1:
				if allowSleep {
					return map[string]any{"sleep": map[string]any{"seconds": 1}}
				}
				return map[string]any{"grpc": map[string]any{"port": 9090}}
			case 2:
				return map[string]any{"exec": map[string]any{"command": []any{"true"}}}
			default:
				h := map[string]any{"path": "/healthz", "port": g.pick(8080, "http")}
				set(h, "host", host)
				return map[string]any{"httpGet": h}
			}
		}
		switch g.r.IntN(5) {
		case 0, 1, 2:
			c[g.pickS("livenessProbe", "readinessProbe", "startupProbe")] = action(false)
		default:
			lc := sub(c, "lifecycle")
			lc[g.pickS("postStart", "preStop")] = action(true)
			if g.chance(0.1) {
				set(c, "lifecycle", g.pick(nil, map[string]any{}))
			}
		}
	}},
	// os.name
	{5, func(g *gen, p *pod) {
		switch g.r.IntN(6) {
		case 0:
			set(p.spec, "os", g.pick(nil, map[string]any{}, del))
		default:
			p.spec["os"] = map[string]any{"name": g.pick("windows", "windows", "linux", "Windows", "", nil)}
		}
	}},
	// AppArmor annotations
	{6, func(g *gen, p *pod) {
		names := []string{"unknown"}
		for _, c := range p.containers() {
			if n, ok := c["name"].(string); ok {
				names = append(names, n)
			}
		}
		ann := sub(p.meta, "annotations")
		key := "container.apparmor.security.beta.kubernetes.io/" + names[g.r.IntN(len(names))]
		if g.chance(0.05) {
			key = "container.apparmor.security.beta.kubernetes.io/"
		}
		if g.chance(0.05) {
			key = "Container.apparmor.security.beta.kubernetes.io/c0"
		}
		ann[key] = g.pickS("runtime/default", "localhost/k8s-apparmor-example", "localhost/", "unconfined", "unconfined", "", "Runtime/Default", "docker/default", "runtime/default ")
	}},
	// seccomp annotations (the checks of policy version 1.19 and later read only the fields)
	{4, func(g *gen, p *pod) {
		ann := sub(p.meta, "annotations")
		key := "seccomp.security.alpha.kubernetes.io/pod"
		if g.chance(0.5) {
			key = "container.seccomp.security.alpha.kubernetes.io/c0"
		}
		ann[key] = g.pickS("runtime/default", "docker/default", "localhost/x", "unconfined", "")
	}},
	// malformed: null where an object or list element is expected, missing parts
	{7, func(g *gen, p *pod) {
		switch g.r.IntN(12) {
		case 0:
			p.spec["containers"] = []any{nil}
		case 1:
			list, _ := p.spec["containers"].([]any)
			p.spec["containers"] = append(list, nil)
		case 2:
			set(g.container(p), "securityContext", nil)
		case 3:
			p.spec["securityContext"] = nil
		case 4:
			p.spec["containers"] = g.pick([]any{}, nil)
		case 5:
			set(p.spec, g.pickS("initContainers", "ephemeralContainers"), g.pick(nil, []any{}, []any{nil}))
		case 6:
			sc := g.securityContext(g.container(p))
			sub(sc, "capabilities")["add"] = []any{nil}
		case 7:
			sc := g.securityContext(g.container(p))
			sub(sc, "capabilities")["drop"] = []any{nil, "ALL"}
		case 8:
			set(g.target(p), "seccompProfile", g.pick(map[string]any{}, map[string]any{"type": nil}, map[string]any{"localhostProfile": "x"}, map[string]any{"type": ""}))
		case 9:
			c := g.container(p)
			c["ports"] = []any{nil, map[string]any{"containerPort": 80, "hostPort": g.pick(0, 80)}}
		case 10:
			p.spec["securityContext"] = map[string]any{}
		default:
			delete(g.container(p), "securityContext")
		}
	}},
	// keys that differ only in case: unknown fields to a case-sensitive decoder
	{3, func(g *gen, p *pod) {
		switch g.r.IntN(5) {
		case 0:
			g.securityContext(g.container(p))["Privileged"] = true
		case 1:
			p.spec["HostNetwork"] = true
		case 2:
			g.container(p)["SecurityContext"] = map[string]any{"privileged": true}
		case 3:
			sub(p.spec, "securityContext")["RunAsNonRoot"] = false
		default:
			g.securityContext(g.container(p))["allowprivilegeescalation"] = true
		}
	}},
	// values of the wrong JSON type: the API server refuses the object
	{1, func(g *gen, p *pod) {
		switch g.r.IntN(5) {
		case 0:
			g.securityContext(g.container(p))["privileged"] = "true"
		case 1:
			g.securityContext(g.container(p))["runAsUser"] = "0"
		case 2:
			g.securityContext(g.container(p))["runAsUser"] = 1.5
		case 3:
			g.container(p)["ports"] = []any{map[string]any{"containerPort": 80, "hostPort": int64(4294967376)}}
		default:
			p.spec["hostNetwork"] = "yes"
		}
	}},
	// a compliant field written differently (stays allowed)
	{3, func(g *gen, p *pod) {
		switch g.r.IntN(4) {
		case 0:
			sub(p.spec, "securityContext")["seccompProfile"] = map[string]any{"type": "Localhost", "localhostProfile": "profiles/a.json"}
		case 1:
			sc := g.securityContext(g.container(p))
			sub(sc, "capabilities")["drop"] = []any{"NET_RAW", "ALL"}
		case 2:
			g.securityContext(g.container(p))["seLinuxOptions"] = map[string]any{"level": "s0:c1,c2"}
		default:
			g.securityContext(g.container(p))["appArmorProfile"] = map[string]any{"type": "Localhost", "localhostProfile": "p"}
		}
	}},
}

var mutationTotal = func() int {
	t := 0
	for _, m := range mutations {
		t += m.weight
	}
	return t
}()

func (g *gen) mutate(p *pod) {
	n := g.r.IntN(mutationTotal)
	for _, m := range mutations {
		if n < m.weight {
			m.fn(g, p)
			return
		}
		n -= m.weight
	}
}

type kindInfo struct {
	apiVersion, kind string
	weight           int
}

var kinds = []kindInfo{
	{"v1", "Pod", 55},
	{"apps/v1", "Deployment", 8},
	{"apps/v1", "ReplicaSet", 4},
	{"apps/v1", "StatefulSet", 5},
	{"apps/v1", "DaemonSet", 5},
	{"batch/v1", "Job", 5},
	{"batch/v1", "CronJob", 6},
	{"v1", "ReplicationController", 5},
	{"v1", "PodTemplate", 5},
	{"v1", "ConfigMap", 1},
	{"v1", "Service", 1},
}

// wrap puts a pod into an object of the given kind.
func (g *gen) wrap(k kindInfo, name string, p *pod) map[string]any {
	obj := map[string]any{
		"apiVersion": k.apiVersion,
		"kind":       k.kind,
		"metadata":   map[string]any{"name": name, "namespace": "default"},
	}
	template := map[string]any{"metadata": p.meta, "spec": p.spec}
	selector := map[string]any{"matchLabels": map[string]any{"app": name}}
	switch k.kind {
	case "Pod":
		meta := obj["metadata"].(map[string]any)
		for key, v := range p.meta {
			meta[key] = v
		}
		obj["spec"] = p.spec
	case "PodTemplate":
		obj["template"] = template
	case "ReplicationController":
		obj["spec"] = map[string]any{"replicas": 1, "selector": map[string]any{"app": name}, "template": template}
	case "Deployment", "ReplicaSet", "DaemonSet":
		obj["spec"] = map[string]any{"selector": selector, "template": template}
	case "StatefulSet":
		obj["spec"] = map[string]any{"selector": selector, "serviceName": name, "template": template}
	case "Job":
		p.spec["restartPolicy"] = "Never"
		obj["spec"] = map[string]any{"template": template}
	case "CronJob":
		p.spec["restartPolicy"] = "OnFailure"
		obj["spec"] = map[string]any{"schedule": "*/5 * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": template}}}
	case "ConfigMap":
		obj["data"] = map[string]any{"privileged": "true"}
	case "Service":
		obj["spec"] = map[string]any{"selector": map[string]any{"app": name}, "ports": []any{map[string]any{"port": 80}}}
	}
	// Missing or null parts of the structure around the pod spec.
	if g.chance(0.03) {
		switch k.kind {
		case "Pod":
			set(obj, "spec", g.pick(del, nil, map[string]any{}))
		case "PodTemplate":
			set(obj, "template", g.pick(del, nil, map[string]any{"metadata": p.meta}))
		case "ReplicationController":
			set(obj["spec"].(map[string]any), "template", g.pick(del, nil))
		case "CronJob":
			set(obj["spec"].(map[string]any), "jobTemplate", g.pick(del, nil, map[string]any{}))
		case "ConfigMap", "Service":
		default:
			set(obj, "spec", g.pick(del, nil))
		}
	}
	// Odd metadata and identification.
	if g.chance(0.03) {
		meta := obj["metadata"].(map[string]any)
		switch g.r.IntN(7) {
		case 0: // the pod's metadata written as null
			if k.kind == "Pod" {
				set(meta, "annotations", nil)
			} else {
				template["metadata"] = nil
			}
		case 1:
			set(p.meta, "annotations", nil)
		case 2: // not a string: the API server refuses it
			sub(p.meta, "annotations")["container.apparmor.security.beta.kubernetes.io/c0"] = g.pick(1, true, nil)
		case 3: // a kind no API server serves: nothing to judge
			obj["kind"] = g.pickS("pod", "POD", "Pods", "deployment")
		case 4: // a kind in a group version that does not serve it
			obj["apiVersion"] = g.pickS("apps/v1beta1", "extensions/v1beta1", "v2", "apps/v1", "batch/v1beta1")
		case 5:
			set(p.meta, "labels", g.pick(nil, map[string]any{}))
		default:
			sub(g.securityContext(g.container(p)), "capabilities")["add"] = nil
			sub(g.securityContext(g.container(p)), "capabilities")["drop"] = nil
		}
	}
	// Annotations on a workload's own metadata are not the pod's: the checks ignore them.
	if k.kind != "Pod" && g.chance(0.05) {
		sub(obj["metadata"].(map[string]any), "annotations")["container.apparmor.security.beta.kubernetes.io/c0"] = "unconfined"
	}
	return obj
}

func generate(w io.Writer, seed uint64, count int) {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	kindWeights := make([]int, len(kinds))
	for i, k := range kinds {
		kindWeights[i] = k.weight
	}
	for i := 0; i < count; i++ {
		name := fmt.Sprintf("g-%d", i)
		fmt.Fprintf(w, "---\n# object %d\n", i)
		if g.chance(0.2) {
			io.WriteString(w, g.rawVariant(name))
			continue
		}
		if g.chance(0.002) { // not an object at all
			io.WriteString(w, g.pickS("- apiVersion: v1\n  kind: Pod\n", "just a string\n", "42\n", "[]\n")+"# "+name+"\n")
			continue
		}
		k := kinds[g.weighted(kindWeights...)]
		p := g.basePod(name)
		for n := g.weighted(12, 45, 25, 10, 5, 3); n > 0; n-- {
			g.mutate(p)
		}
		out, err := yaml.Marshal(g.wrap(k, name, p))
		if err != nil {
			panic(err)
		}
		w.Write(out)
	}
}

// ---------------------------------------------------------------------------
// YAML written as text, for the decoding rules a map cannot express

var intSpellings = []string{
	"0", "0b0", "0_0", "0x_0", "0b_0", "0o0", "00", "+0", "-0", "0x0", "0.0", "-0.0", "0e0", "000", "0b00", "0x00",
	"1_000", "1000", "0b1111101000", "0x3E8", "0x3e8", "01750", "0o1750", "+1000", "1e3", "1000.0", "1_0_0_0",
	"09", "08", "010", "0_1", "-1", "-0b1", "-0x1", "1", "0b1", "0x1", "65534",
	`"0"`, `'0'`, `"1000"`, "!!int 0", `!!int "1000"`, "!!str 0", "!!float 0", "~", "null", "", "0:0", "1:00",
	"0x_", "1__0", "_0", "0b2", "0xG", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616", "2147483647", "2147483648", "4294967296", ".0", "0.", "1.5",
}

var boolSpellings = []string{
	"true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No", "YES", "NO",
	"on", "off", "On", "Off", "ON", "OFF", "y", "n", "Y", "N", "tRUE", "yEs",
	`"true"`, `'false'`, "!!bool true", `!!bool "yes"`, "!!str true", "~", "null", "", "1", "0",
}

const rawPod = `apiVersion: v1
kind: Pod
metadata:
  name: NAME
  namespace: default
spec:
  hostNetwork: HOSTNET
  hostPID: HOSTPID
  securityContext:
    runAsNonRoot: NONROOT
    runAsUser: PODUSER
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: c0
    image: registry.k8s.io/pause:3.10
    ports:
    - containerPort: CPORT
      hostPort: HPORT
    securityContext:
      privileged: PRIV
      allowPrivilegeEscalation: APE
      runAsUser: CUSER
      capabilities:
        drop: [ALL]
`

var rawDefaults = map[string][]string{
	"HOSTNET": {"false", "no", "off", "n", "False"},
	"HOSTPID": {"false", "no", "off", "n", "False"},
	"NONROOT": {"true", "yes", "on", "y", "True"},
	"PRIV":    {"false", "no", "off", "n", "False"},
	"APE":     {"false", "no", "off", "n", "False"},
	"PODUSER": {"1000", "1_000", "0x3E8", "01750", "0o1750"},
	"CUSER":   {"1000", "65534", "1", "+1"},
	"CPORT":   {"8080", "80", "0x50", "0b1010000"},
	"HPORT":   {"0", "0b0", "0_0", "00", "+0", "-0", "0x0"},
}

var rawOrder = []string{"HOSTNET", "HOSTPID", "NONROOT", "PRIV", "APE", "PODUSER", "CUSER", "CPORT", "HPORT"}

func (g *gen) scalarVariant(name string) string {
	values := map[string]string{}
	for _, k := range rawOrder {
		d := rawDefaults[k]
		if g.chance(0.7) {
			values[k] = d[0]
		} else {
			values[k] = d[g.r.IntN(len(d))]
		}
	}
	for n := 1 + g.weighted(70, 30); n > 0; n-- {
		k := rawOrder[g.r.IntN(len(rawOrder))]
		switch k {
		case "HOSTNET", "HOSTPID", "NONROOT", "PRIV", "APE":
			values[k] = boolSpellings[g.r.IntN(len(boolSpellings))]
		default:
			values[k] = intSpellings[g.r.IntN(len(intSpellings))]
		}
	}
	pairs := []string{"NAME", name}
	for _, k := range rawOrder {
		pairs = append(pairs, k, values[k])
	}
	return strings.NewReplacer(pairs...).Replace(rawPod)
}

// rawHeader is the start of a Pod; the rest of each variant is its spec.
func rawHeader(name string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: default\n"
}

func (g *gen) rawVariant(name string) string {
	switch g.weighted(40, 18, 12, 10, 12, 5, 3, 6) {
	case 0:
		return g.scalarVariant(name)
	case 1:
		return g.mergeVariant(name)
	case 2:
		return g.duplicateVariant(name)
	case 3:
		return g.aliasVariant(name)
	case 4:
		return g.quotingVariant(name)
	case 5:
		return g.flowVariant(name)
	case 6:
		return g.workloadTextVariant(name)
	default:
		return g.keyVariant(name)
	}
}

// Keys written in other ways: quoted, tagged, explicit, and plain scalars over lines.
func (g *gen) keyVariant(name string) string {
	priv := g.pickS("true", "false")
	var sc string
	switch g.r.IntN(6) {
	case 0:
		sc = `{"privileged": ` + priv + `, 'allowPrivilegeEscalation': false, capabilities: {"drop": [ALL]}}`
	case 1:
		sc = `{!!str privileged: ` + priv + `, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`
	case 2:
		sc = `
      ? privileged
      : ` + priv + `
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}`
	case 3: // a plain scalar folded over two lines: "Runtime Default"
		sc = `
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      seccompProfile:
        type: Runtime
          Default`
	case 4: // "AL L"
		sc = `
      allowPrivilegeEscalation: false
      capabilities:
        drop:
        - AL
          L`
	default: // an escape in a double-quoted scalar: NET_BIND_SERVICE
		sc = `
      allowPrivilegeEscalation: false
      "capabilities": {"drop": ["ALL"], "add": ["NET_\u0042IND_SERVICE"]}`
	}
	return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c0
    image: busybox
    securityContext: ` + sc + "\n"
}

func (g *gen) privValue() string {
	return g.pickS("true", "false", "yes", "no", "on", "off", "True", "~")
}

// Merge keys: the container's securityContext draws fields from an anchored one.
func (g *gen) mergeVariant(name string) string {
	a := g.privValue()
	b := g.privValue()
	c := g.privValue()
	var sc string
	switch g.r.IntN(9) {
	case 0: // explicit key after the merge
		sc = "      <<: *base\n      privileged: " + b + "\n"
	case 1: // explicit key before the merge
		sc = "      privileged: " + b + "\n      <<: *base\n"
	case 2: // before and after
		sc = "      privileged: " + b + "\n      <<: *base\n      privileged: " + c + "\n"
	case 3: // a list of merged maps: earlier ones win
		sc = "      <<: [*priv, *base]\n"
	case 4:
		sc = "      <<: [*base, *priv]\n"
	case 5: // an inline merged map
		sc = "      <<: {privileged: " + b + "}\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n"
	case 6: // an inline map and an explicit key before it
		sc = "      allowPrivilegeEscalation: " + g.pickS("false", "true") + "\n      <<: {allowPrivilegeEscalation: " + g.pickS("false", "true") + ", capabilities: {drop: [ALL]}}\n"
	case 7: // a shallow merge: the local capabilities replace the merged ones
		sc = "      <<: *base\n      capabilities:\n        add: [" + g.pickS("NET_RAW", "NET_BIND_SERVICE") + "]\n"
	default: // merge of a merge
		sc = "      <<: *derived\n"
	}
	return rawHeader(name) + `spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  initContainers:
  - name: i0
    image: busybox
    securityContext: &base
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
      privileged: ` + a + `
  - name: i1
    image: busybox
    securityContext: &derived
      <<: *base
      privileged: ` + g.privValue() + `
  ephemeralContainers: []
  containers:
  - name: c1
    image: busybox
    securityContext: &priv
      privileged: ` + g.pickS("true", "false") + `
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
  - name: c0
    image: busybox
    securityContext:
` + sc
}

// Duplicate keys: the last one wins.
func (g *gen) duplicateVariant(name string) string {
	first, last := g.pickS("true", "false"), g.pickS("true", "false")
	switch g.r.IntN(6) {
	case 0:
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c0
    image: busybox
    securityContext:
      privileged: ` + first + `
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      privileged: ` + last + "\n"
	case 1:
		return rawHeader(name) + `spec:
  hostNetwork: ` + first + `
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: c0, image: busybox, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
  hostNetwork: ` + last + "\n"
	case 2: // the whole securityContext twice
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c0
    image: busybox
    securityContext:
      privileged: ` + first + `
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
` + g.pickS("", "      privileged: "+last+"\n")
	case 3: // in a flow mapping
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: ` + g.pickS("Unconfined", "RuntimeDefault") + `, type: ` + g.pickS("RuntimeDefault", "Unconfined") + `}}
  containers:
  - {name: c0, image: busybox, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
`
	case 4: // the containers list twice
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: bad, image: busybox, securityContext: {privileged: true}}
  containers:
  - {name: c0, image: busybox, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
`
	default: // the spec twice
		return rawHeader(name) + `spec:
  hostPID: true
  containers: [{name: x, image: busybox}]
spec:
  securityContext: {runAsNonRoot: ` + last + `, seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: c0, image: busybox, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
`
	}
}

// Anchors and aliases for whole containers and lists.
func (g *gen) aliasVariant(name string) string {
	priv := g.pickS("true", "false", "false")
	switch g.r.IntN(4) {
	case 0:
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  initContainers:
  - &c
    name: c0
    image: busybox
    securityContext:
      privileged: ` + priv + `
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
  containers:
  - *c
`
	case 1:
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers: &cs
  - name: c0
    image: busybox
    securityContext: {allowPrivilegeEscalation: ` + g.pickS("false", "true") + `, capabilities: {drop: [ALL]}}
  initContainers: *cs
`
	case 2:
		return rawHeader(name) + `spec:
  securityContext: &psc {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c0
    image: busybox
    securityContext:
      <<: *psc
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      runAsNonRoot: ` + g.pickS("true", "false") + `
`
	default:
		return rawHeader(name) + `spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - &c {name: c0, image: busybox, securityContext: {privileged: ` + priv + `, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
  - *c
  - {<<: *c, name: c1}
`
	}
}

// Quoting, tags, comments and block scalars on the values the checks compare.
func (g *gen) quotingVariant(name string) string {
	seccomp := g.pickS(`"RuntimeDefault"`, `'RuntimeDefault'`, `!!str RuntimeDefault`, `RuntimeDefault # a comment`,
		`"RuntimeDefault # not a comment"`, `"RuntimeDefault "`, `runtimeDefault`, "|-\n        RuntimeDefault",
		">\n        RuntimeDefault", "|\n        RuntimeDefault\n", `"Runtime\u0044efault"`, `'Localhost'`, `Localhost`, `Unconfined`)
	drop := g.pickS(`["ALL"]`, `[ALL]`, `['ALL']`, `[ all ]`, "\n        - ALL", "\n        - \"ALL\"", `[!!str ALL]`, `ALL`, `[ALL, ALL]`, `["AL\x4c"]`, `[]`, `~`)
	add := g.pickS("", `[NET_BIND_SERVICE]`, `["NET_BIND_SERVICE"]`, `[NET_RAW]`, `[net_bind_service]`, `[ALL]`, `[""]`, `[~]`, `[null]`, `["null"]`, `[!!null ""]`)
	sel := g.pickS("", `{type: container_t}`, `{type: "spc_t"}`, `{user: ""}`, `{user: ~}`, `{role: " "}`, `{type: !!str container_t}`)
	out := rawHeader(name) + `spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: ` + seccomp + `
  containers:
  - name: c0
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ` + drop + "\n"
	if add != "" {
		out += "        add: " + add + "\n"
	}
	if sel != "" {
		out += "      seLinuxOptions: " + sel + "\n"
	}
	return out
}

// The whole object in flow style, as JSON is also YAML.
func (g *gen) flowVariant(name string) string {
	priv := g.pickS("true", "false", `"false"`, "null")
	host := g.pickS(`"127.0.0.1"`, `""`, `null`)
	return `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "` + name + `", "namespace": "default"},
 "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{"name": "c0", "image": "busybox",
   "livenessProbe": {"tcpSocket": {"port": 80, "host": ` + host + `}},
   "securityContext": {"privileged": ` + priv + `, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}}
`
}

// Workloads written as text, with anchors across the template.
func (g *gen) workloadTextVariant(name string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: default
  annotations:
    container.apparmor.security.beta.kubernetes.io/c0: unconfined
spec:
  selector:
    matchLabels: &labels {app: ` + name + `}
  template:
    metadata:
      labels: *labels
      annotations:
        container.apparmor.security.beta.kubernetes.io/c0: ` + g.pickS("runtime/default", "unconfined", "localhost/p") + `
    spec:
      securityContext: {runAsNonRoot: ` + g.pickS("true", "yes", "on", "no") + `, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: c0
        image: busybox
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsUser: ` + g.pickS("1000", "0", "0x0", "0o0", "00") + `}
`
}
