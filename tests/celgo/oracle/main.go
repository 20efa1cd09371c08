// Command cel-oracle is the reference side of the CEL differential test
// (tests/celgo/cel_differential_test.py). It evaluates and compiles CEL as the
// Kubernetes API server does for ValidatingAdmissionPolicy: the base environment of
// k8s.io/apiserver/pkg/cel/environment at compatibility version 1.37 (NewExpressions),
// extended with the variables of the admission plugin (k8s.io/apiserver/pkg/admission/
// plugin/cel), with the API server's program options (per-call cost limit, interrupt
// check frequency) and cel-go as k8s.io/apiserver v0.37.2 requires it.
//
//	cel-oracle eval                           one result line per JSON line on stdin
//	cel-oracle compile-policies DIR           compile every CompliancePolicy expression under DIR
//	cel-oracle generate --seed S --count N    N generated expressions in the eval input format
//
// Values are written in clausegate's tagged form (controller/cel/tagged.cc):
// {"int":"3"}, {"uint":"3"}, {"double":1.5} ("NaN", "Infinity", "-Infinity"),
// {"string":"a"}, {"bytes_b64":"YQ=="}, {"bool":true}, {"null":null}, {"list":[...]},
// {"map":[[k,v],...]}, {"timestamp":{"seconds":"0","nanos":0}}, {"duration":{...}},
// {"type":"int"}, {"optional":null|v}, {"opaque":{"type":"kubernetes.Quantity","value":"1"}}.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones even where the system has no zoneinfo

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	kjson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/cel/library"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "eval":
		err = evalLines(os.Stdin, os.Stdout)
	case "compile-policies":
		if len(os.Args) != 3 {
			usage()
		}
		var failed bool
		failed, err = compilePolicies(os.Args[2], os.Stdout)
		if err == nil && failed {
			os.Exit(1)
		}
	case "decls":
		err = printDecls(os.Stdout)
	case "generate":
		fs := flag.NewFlagSet("generate", flag.ExitOnError)
		seed := fs.Uint64("seed", 1, "random seed")
		count := fs.Int("count", 1000, "number of expressions")
		_ = fs.Parse(os.Args[2:])
		w := bufio.NewWriter(os.Stdout)
		err = generate(w, *seed, *count)
		if err == nil {
			err = w.Flush()
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cel-oracle:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cel-oracle eval < LINES | compile-policies DIR | decls | generate --seed S --count N")
	os.Exit(2)
}

// ---------------------------------------------------------------------------
// The environment

// compatibilityVersion is the CEL compatibility version of the environment: the base
// environment of Kubernetes 1.37 with every library and option introduced up to it.
var compatibilityVersion = version.MajorMinor(1, 37)

// envType: expressions are judged as new expressions (a policy being created); at
// compatibility version 1.37 the stored-expressions environment has the same libraries.
const envType = environment.NewExpressions

func baseEnvSet() *environment.EnvSet { return environment.MustBaseEnvSet(compatibilityVersion) }

// The declared types of the admission plugin's request and namespaceObject variables.
var (
	requestDeclType   = plugincel.BuildRequestType()
	namespaceDeclType = plugincel.BuildNamespaceType()
)

// nowVar is clausegate's one variable beyond the admission plugin's: the time of the request.
const nowVar = "now"

func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// ---------------------------------------------------------------------------
// eval

// evalLine is one line of input: an expression and its variables. Every variable is
// declared dyn unless "types" names its type ("int", "list(string)",
// "kubernetes.AdmissionRequest", "google.protobuf.Timestamp", ...).
type evalLine struct {
	ID           json.RawMessage            `json:"id"`
	Expr         *string                    `json:"expr"`
	Bindings     map[string]json.RawMessage `json:"bindings"`
	JSONBindings map[string]json.RawMessage `json:"json_bindings"`
	Types        map[string]string          `json:"types"`
}

type evaluator struct {
	envs     map[string]*cel.Env
	programs map[string]compiled
	opaques  map[string]ref.Val
}

type compiled struct {
	prog      cel.Program
	err       string  // parse or check error
	progErr   string  // env.Program failed
	estimated *uint64 // Kubernetes' estimated cost (max), inputs up to the request size
	// why cel-go gave no estimate (its estimator panicked)
	estimateErr string
}

func newEvaluator() *evaluator {
	return &evaluator{envs: map[string]*cel.Env{}, programs: map[string]compiled{}, opaques: map[string]ref.Val{}}
}

// env returns the VAP base environment with the given variables declared.
func (e *evaluator) env(decls map[string]*cel.Type) (*cel.Env, string, error) {
	names := make([]string, 0, len(decls))
	for n := range decls {
		names = append(names, n)
	}
	sort.Strings(names)
	var key strings.Builder
	for _, n := range names {
		key.WriteString(n + ":" + decls[n].String() + ";")
	}
	if env, ok := e.envs[key.String()]; ok {
		return env, key.String(), nil
	}
	var opts []cel.EnvOption
	for _, n := range names {
		opts = append(opts, cel.Variable(n, decls[n]))
	}
	// As the admission plugin's createEnvForOpts: the variables and the declared types of
	// request and namespaceObject, then the strict cost option.
	set, err := baseEnvSet().Extend(
		environment.VersionedOptions{
			IntroducedVersion: version.MajorMinor(1, 0),
			EnvOptions:        opts,
			DeclTypes:         []*apiservercel.DeclType{namespaceDeclType, requestDeclType},
		},
		environment.StrictCostOpt,
	)
	if err != nil {
		return nil, "", err
	}
	env, err := set.Env(envType)
	if err != nil {
		return nil, "", err
	}
	e.envs[key.String()] = env
	return env, key.String(), nil
}

// printDecls writes every function overload of the environment, one line each:
// "name member|global (arg, ...) -> result", types as the checker formats them;
// functions by name, each function's overloads in the order they are declared (the
// order the checker tries them in, which decides how type parameters are bound).
func printDecls(w io.Writer) error {
	env, _, err := newEvaluator().env(map[string]*cel.Type{})
	if err != nil {
		return err
	}
	fns := env.Functions()
	names := make([]string, 0, len(fns))
	for name := range fns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, o := range fns[name].OverloadDecls() {
			var args []string
			for _, a := range o.ArgTypes() {
				args = append(args, checker.FormatCELType(a))
			}
			style := "global"
			if o.IsMemberFunction() {
				style = "member"
			}
			if _, err := fmt.Fprintf(w, "%s %s (%s) -> %s\n", name, style, strings.Join(args, ", "),
				checker.FormatCELType(o.ResultType())); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseType reads a type name of the "types" field.
func parseType(s string) (*cel.Type, error) {
	s = strings.TrimSpace(s)
	if open := strings.IndexByte(s, '('); open > 0 && strings.HasSuffix(s, ")") {
		head, inner := s[:open], s[open+1:len(s)-1]
		args, err := splitTypeArgs(inner)
		if err != nil {
			return nil, err
		}
		var params []*cel.Type
		for _, a := range args {
			t, err := parseType(a)
			if err != nil {
				return nil, err
			}
			params = append(params, t)
		}
		switch {
		case head == "list" && len(params) == 1:
			return cel.ListType(params[0]), nil
		case head == "map" && len(params) == 2:
			return cel.MapType(params[0], params[1]), nil
		case head == "optional" && len(params) == 1:
			return cel.OptionalType(params[0]), nil
		}
		return nil, fmt.Errorf("unknown type %q", s)
	}
	switch s {
	case "dyn", "":
		return cel.DynType, nil
	case "int":
		return cel.IntType, nil
	case "uint":
		return cel.UintType, nil
	case "double":
		return cel.DoubleType, nil
	case "bool":
		return cel.BoolType, nil
	case "string":
		return cel.StringType, nil
	case "bytes":
		return cel.BytesType, nil
	case "null_type", "null":
		return cel.NullType, nil
	case "timestamp", "google.protobuf.Timestamp":
		return cel.TimestampType, nil
	case "duration", "google.protobuf.Duration":
		return cel.DurationType, nil
	case "list":
		return cel.ListType(cel.DynType), nil
	case "map":
		return cel.MapType(cel.DynType, cel.DynType), nil
	case "kubernetes.AdmissionRequest":
		return requestDeclType.CelType(), nil
	case "kubernetes.Namespace":
		return namespaceDeclType.CelType(), nil
	}
	return nil, fmt.Errorf("unknown type %q", s)
}

func splitTypeArgs(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced type %q", s)
	}
	return append(out, s[start:]), nil
}

func evalLines(r io.Reader, w io.Writer) error {
	e := newEvaluator()
	bw := bufio.NewWriter(w)
	enc := newEncoder(bw)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if err := enc.Encode(e.evalOne(text)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

func (e *evaluator) evalOne(text []byte) map[string]any {
	var line evalLine
	if err := json.Unmarshal(text, &line); err != nil {
		return map[string]any{"id": nil, "compile_error": "not a JSON object"}
	}
	out := map[string]any{"id": line.ID}
	if line.ID == nil {
		out["id"] = nil
	}
	if line.Expr == nil {
		out["compile_error"] = "no \"expr\" string"
		return out
	}
	decls := map[string]*cel.Type{}
	vals := map[string]any{}
	for name, raw := range line.Bindings {
		v, err := e.fromTagged(raw, 0)
		if err != nil {
			out["compile_error"] = "bindings: binding '" + name + "': " + err.Error()
			return out
		}
		decls[name] = cel.DynType
		vals[name] = v
	}
	for name, raw := range line.JSONBindings {
		// As the API server reads a JSON object (unstructured: integers int64, other
		// numbers float64) and hands it to CEL (types.DefaultTypeAdapter.NativeToValue).
		var native any
		if err := kjson.Unmarshal(raw, &native); err != nil {
			out["compile_error"] = "json_bindings." + name + ": " + err.Error()
			return out
		}
		decls[name] = cel.DynType
		vals[name] = types.DefaultTypeAdapter.NativeToValue(native)
	}
	for name, t := range line.Types {
		ct, err := parseType(t)
		if err != nil {
			out["compile_error"] = "types." + name + ": " + err.Error()
			return out
		}
		decls[name] = ct
	}
	env, key, err := e.env(decls)
	if err != nil {
		out["compile_error"] = "environment: " + err.Error()
		return out
	}
	c, ok := e.programs[key+"\x00"+*line.Expr]
	if !ok {
		c = compileForEval(env, *line.Expr)
		e.programs[key+"\x00"+*line.Expr] = c
	}
	if c.err != "" {
		out["compile_error"] = c.err
		return out
	}
	if c.estimated != nil {
		out["estimated_cost"] = *c.estimated
	} else if c.estimateErr != "" {
		out["estimate_error"] = c.estimateErr
	}
	if c.progErr != "" {
		// The program could not be planned: with the API server's OptOptimize a call on
		// constants is evaluated when the program is built, and its error surfaces there
		// (the API server refuses such an expression). It is the evaluation error of that
		// call, so it is reported as one.
		out["error"] = c.progErr
		return out
	}
	val, cost, err := evalRecovering(c.prog, vals)
	if cost != nil {
		out["cost"] = *cost
	}
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	if types.IsError(val) {
		out["error"] = val.(*types.Err).Error()
		return out
	}
	if types.IsUnknown(val) {
		out["error"] = "unknown value: " + fmt.Sprint(val)
		return out
	}
	tv, err := toTagged(val, 0)
	if err != nil {
		out["error"] = "result not representable: " + err.Error()
		return out
	}
	out["value"] = tv
	return out
}

// evalRecovering evaluates, with the actual cost cel-go tracked (the API server's
// cost tracking), if the evaluation got far enough to have one.
func evalRecovering(prog cel.Program, vals map[string]any) (v ref.Val, cost *uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, cost, err = nil, nil, fmt.Errorf("panic: %v", r)
		}
	}()
	v, details, err := prog.ContextEval(context.Background(), vals)
	if details != nil {
		cost = details.ActualCost()
	}
	return v, cost, err
}

// compileForEval compiles as the admission plugin's CompileCELExpression does (the
// environment's own program options, then the interrupt check frequency), accepting any
// result type.
func compileForEval(env *cel.Env, expr string) (c compiled) {
	// A panic in cel-go is reported as what it is, for this expression only (the API
	// server's handler would recover it and fail the request).
	defer func() {
		if r := recover(); r != nil {
			c = compiled{err: fmt.Sprintf("panic: %v", r)}
		}
	}()
	ast, issues := env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		return compiled{err: issues.String()}
	}
	estimated, why := estimateCheckedWhy(env, ast)
	prog, err := env.Program(ast, cel.InterruptCheckFrequency(celconfig.CheckFrequency))
	if err != nil {
		return compiled{progErr: "program instantiation failed: " + err.Error(), estimated: estimated, estimateErr: why}
	}
	return compiled{prog: prog, estimated: estimated, estimateErr: why}
}

// ---------------------------------------------------------------------------
// The tagged form

func (e *evaluator) fromTagged(raw json.RawMessage, depth int) (ref.Val, error) {
	if depth > 100 {
		return nil, errors.New("tagged value nested too deeply")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || len(obj) != 1 {
		return nil, fmt.Errorf("a tagged value is an object with one key: %s", raw)
	}
	for tag, v := range obj {
		switch tag {
		case "int":
			i, err := parseTaggedInt(v)
			if err != nil {
				return nil, err
			}
			return types.Int(i), nil
		case "uint":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				s = string(v)
			}
			u, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("bad unsigned integer: %s", v)
			}
			return types.Uint(u), nil
		case "double":
			var s string
			if json.Unmarshal(v, &s) == nil {
				switch s {
				case "NaN":
					return types.Double(math.NaN()), nil
				case "Infinity":
					return types.Double(math.Inf(1)), nil
				case "-Infinity":
					return types.Double(math.Inf(-1)), nil
				}
				return nil, fmt.Errorf("bad double: %s", v)
			}
			var f float64
			if err := json.Unmarshal(v, &f); err != nil {
				return nil, fmt.Errorf("bad double: %s", v)
			}
			return types.Double(f), nil
		case "string":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("bad string: %s", v)
			}
			return types.String(s), nil
		case "bytes_b64":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("bad bytes: %s", v)
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
					return nil, fmt.Errorf("bad base64: %s", v)
				}
			}
			return types.Bytes(b), nil
		case "bool":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, fmt.Errorf("bad bool: %s", v)
			}
			return types.Bool(b), nil
		case "null":
			return types.NullValue, nil
		case "list":
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, fmt.Errorf("bad list: %s", v)
			}
			vals := make([]ref.Val, 0, len(items))
			for _, it := range items {
				x, err := e.fromTagged(it, depth+1)
				if err != nil {
					return nil, err
				}
				vals = append(vals, x)
			}
			return types.NewRefValList(types.DefaultTypeAdapter, vals), nil
		case "map":
			var entries [][]json.RawMessage
			if err := json.Unmarshal(v, &entries); err != nil {
				return nil, fmt.Errorf("bad map: %s", v)
			}
			m := map[ref.Val]ref.Val{}
			for _, en := range entries {
				if len(en) != 2 {
					return nil, errors.New("a map entry is [key, value]")
				}
				k, err := e.fromTagged(en[0], depth+1)
				if err != nil {
					return nil, err
				}
				x, err := e.fromTagged(en[1], depth+1)
				if err != nil {
					return nil, err
				}
				switch k.(type) {
				case types.Int, types.Uint, types.String, types.Bool:
				default:
					return nil, fmt.Errorf("unsupported key type: %s", k.Type().TypeName())
				}
				m[k] = x
			}
			return types.NewRefValMap(types.DefaultTypeAdapter, m), nil
		case "timestamp", "duration":
			var sn struct {
				Seconds json.RawMessage `json:"seconds"`
				Nanos   json.RawMessage `json:"nanos"`
			}
			if err := json.Unmarshal(v, &sn); err != nil || sn.Seconds == nil {
				return nil, fmt.Errorf("bad %s: %s", tag, v)
			}
			secs, err := parseTaggedInt(sn.Seconds)
			if err != nil {
				return nil, err
			}
			var nanos int64
			if sn.Nanos != nil {
				if nanos, err = parseTaggedInt(sn.Nanos); err != nil {
					return nil, err
				}
			}
			if tag == "timestamp" {
				return types.Timestamp{Time: time.Unix(secs, nanos).UTC()}, nil
			}
			if secs > math.MaxInt64/int64(time.Second) || secs < math.MinInt64/int64(time.Second) {
				return nil, errors.New("duration out of range")
			}
			return types.Duration{Duration: time.Duration(secs*int64(time.Second) + nanos)}, nil
		case "type":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("bad type: %s", v)
			}
			if t, ok := typeValues[s]; ok {
				return t, nil
			}
			return nil, fmt.Errorf("unknown type: %s", v)
		case "optional":
			if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				return types.OptionalNone, nil
			}
			x, err := e.fromTagged(v, depth+1)
			if err != nil {
				return nil, err
			}
			return types.OptionalOf(x), nil
		case "opaque":
			var o struct {
				Type  string `json:"type"`
				Value string `json:"value"`
			}
			if err := json.Unmarshal(v, &o); err != nil {
				return nil, fmt.Errorf("bad opaque: %s", v)
			}
			return e.opaque(o.Type, o.Value)
		}
		return nil, fmt.Errorf("unknown tag: %s", tag)
	}
	return nil, errors.New("unreachable")
}

func parseTaggedInt(v json.RawMessage) (int64, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		s = string(v)
	}
	i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad integer: %s", v)
	}
	return i, nil
}

var typeValues = map[string]ref.Val{
	"null_type":                 types.NullType,
	"bool":                      types.BoolType,
	"int":                       types.IntType,
	"uint":                      types.UintType,
	"double":                    types.DoubleType,
	"string":                    types.StringType,
	"bytes":                     types.BytesType,
	"list":                      types.ListType,
	"map":                       types.MapType,
	"type":                      types.TypeType,
	"google.protobuf.Timestamp": types.TimestampType,
	"google.protobuf.Duration":  types.DurationType,
	"optional_type":             types.OptionalType,
}

// opaque rebuilds a Kubernetes library value from its type name and string form by
// calling the library's own constructor in the environment.
func (e *evaluator) opaque(typeName, value string) (ref.Val, error) {
	ctor := map[string]string{
		"kubernetes.Quantity":    "quantity(v)",
		"kubernetes.URL":         "url(v)",
		"net.IP":                 "ip(v)",
		"net.CIDR":               "cidr(v)",
		"kubernetes.Semver":      "semver(v)",
		"kubernetes.NamedFormat": "format.named(v).value()",
	}[typeName]
	if ctor == "" {
		return nil, fmt.Errorf("unsupported opaque type: %s", typeName)
	}
	key := typeName + "\x00" + value
	if v, ok := e.opaques[key]; ok {
		return v, nil
	}
	env, _, err := e.env(map[string]*cel.Type{"v": cel.StringType})
	if err != nil {
		return nil, err
	}
	c := compileForEval(env, ctor)
	if c.err != "" || c.progErr != "" {
		return nil, errors.New(c.err + c.progErr)
	}
	v, _, err := c.prog.Eval(map[string]any{"v": value})
	if err != nil {
		return nil, fmt.Errorf("bad %s %q: %v", typeName, value, err)
	}
	e.opaques[key] = v
	return v, nil
}

// formatDouble writes a double as clausegate's JSON library does (shortest digits that
// read back the same; 1.0, 1e+21, 1e-05, 123456789.0).
func formatDouble(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	epos := strings.IndexByte(s, 'e')
	mant, exp := s[:epos], s[epos+1:]
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1
	var out string
	switch {
	case k <= n && n <= 15:
		out = digits + strings.Repeat("0", n-k) + ".0"
	case 0 < n && n <= 15:
		out = digits[:n] + "." + digits[n:]
	case -4 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		e := n - 1
		sign := "+"
		if e < 0 {
			sign, e = "-", -e
		}
		es := strconv.Itoa(e)
		if e < 10 {
			es = "0" + es
		}
		if k == 1 {
			out = digits + "e" + sign + es
		} else {
			out = digits[:1] + "." + digits[1:] + "e" + sign + es
		}
	}
	if neg {
		out = "-" + out
	}
	return json.Number(out)
}

func toTagged(v ref.Val, depth int) (any, error) {
	if depth > 200 {
		return nil, errors.New("value nested too deeply")
	}
	switch x := v.(type) {
	case types.Null:
		return map[string]any{"null": nil}, nil
	case types.Bool:
		return map[string]any{"bool": bool(x)}, nil
	case types.Int:
		return map[string]any{"int": strconv.FormatInt(int64(x), 10)}, nil
	case types.Uint:
		return map[string]any{"uint": strconv.FormatUint(uint64(x), 10)}, nil
	case types.Double:
		return map[string]any{"double": formatDouble(float64(x))}, nil
	case types.String:
		return map[string]any{"string": string(x)}, nil
	case types.Bytes:
		return map[string]any{"bytes_b64": base64.StdEncoding.EncodeToString([]byte(x))}, nil
	case types.Timestamp:
		return map[string]any{"timestamp": map[string]any{"seconds": strconv.FormatInt(x.Unix(), 10), "nanos": x.Nanosecond()}}, nil
	case types.Duration:
		d := int64(x.Duration)
		return map[string]any{"duration": map[string]any{"seconds": strconv.FormatInt(d/1e9, 10), "nanos": d % 1e9}}, nil
	case *types.Optional:
		if !x.HasValue() {
			return map[string]any{"optional": nil}, nil
		}
		inner, err := toTagged(x.GetValue(), depth+1)
		if err != nil {
			return nil, err
		}
		return map[string]any{"optional": inner}, nil
	case ref.Type:
		return map[string]any{"type": x.TypeName()}, nil
	case *types.Err:
		return nil, x
	case apiservercel.Quantity:
		return opaqueTagged(v, x.Quantity.String()), nil
	case apiservercel.URL:
		// As clausegate writes a URL: scheme://host, the escaped path, ?query.
		u := ""
		if x.Scheme != "" {
			u = x.Scheme + "://"
		}
		u += x.Host + x.EscapedPath()
		if x.RawQuery != "" {
			u += "?" + x.RawQuery
		}
		return opaqueTagged(v, u), nil
	case apiservercel.IP:
		return opaqueTagged(v, x.Addr.String()), nil
	case apiservercel.CIDR:
		return opaqueTagged(v, x.Prefix.String()), nil
	case apiservercel.Semver:
		return opaqueTagged(v, x.Version.String()), nil
	case apiservercel.Format:
		return opaqueTagged(v, formatName(x.Name)), nil
	case *apiservercel.Format:
		return opaqueTagged(v, formatName(x.Name)), nil
	}
	if l, ok := v.(traits.Lister); ok && v.Type() == types.ListType {
		n := int(l.Size().(types.Int))
		items := make([]any, 0, n)
		for i := 0; i < n; i++ {
			t, err := toTagged(l.Get(types.Int(i)), depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, t)
		}
		return map[string]any{"list": items}, nil
	}
	if m, ok := v.(traits.Mapper); ok {
		type entry struct {
			key  string
			pair []any
		}
		var entries []entry
		it := m.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			kt, err := toTagged(k, depth+1)
			if err != nil {
				return nil, err
			}
			vt, err := toTagged(m.Get(k), depth+1)
			if err != nil {
				return nil, err
			}
			kj, _ := json.Marshal(kt)
			entries = append(entries, entry{string(kj), []any{kt, vt}})
		}
		// A Go map has no order: the entries are sorted by key for a stable output.
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		pairs := make([]any, 0, len(entries))
		for _, en := range entries {
			pairs = append(pairs, en.pair)
		}
		return map[string]any{"map": pairs}, nil
	}
	return opaqueTagged(v, fmt.Sprint(v.Value())), nil
}

// formatName is the name CEL knows a named format by (format.named('dns1123Label')),
// as clausegate writes it; the library's Format carries its own (DNS1123Label).
func formatName(name string) string {
	for celName, f := range library.ConstantFormats {
		if f.Name == name {
			return celName
		}
	}
	return name
}

func opaqueTagged(v ref.Val, s string) any {
	return map[string]any{"opaque": map[string]any{"type": v.Type().TypeName(), "value": s}}
}

// ---------------------------------------------------------------------------
// compile-policies

type compliancePolicy struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		MatchConditions []struct {
			Name       string `json:"name"`
			Expression string `json:"expression"`
		} `json:"matchConditions"`
		Variables []struct {
			Name       string `json:"name"`
			Expression string `json:"expression"`
		} `json:"variables"`
		Validations []struct {
			Expression        string `json:"expression"`
			Message           string `json:"message"`
			MessageExpression string `json:"messageExpression"`
		} `json:"validations"`
		AuditAnnotations []struct {
			Key             string `json:"key"`
			ValueExpression string `json:"valueExpression"`
		} `json:"auditAnnotations"`
	} `json:"spec"`
}

type compileResult struct {
	File   string  `json:"file"`
	Policy string  `json:"policy"`
	Field  string  `json:"field"`
	OK     bool    `json:"ok"`
	Error  string  `json:"error"`
	Cost   *uint64 `json:"cost"`
}

func policyFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) ||
			strings.HasSuffix(name, "-test.yaml") || strings.HasSuffix(name, "-test.yml") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	sort.Strings(files)
	return files, err
}

func readPolicies(path string) ([]compliancePolicy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []compliancePolicy
	for {
		raw, err := reader.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, err
		}
		j = bytes.TrimSpace(j)
		if len(j) == 0 || string(j) == "null" {
			continue
		}
		var p compliancePolicy
		if err := json.Unmarshal(j, &p); err != nil {
			continue // not a policy-shaped document
		}
		if p.Kind == "CompliancePolicy" {
			out = append(out, p)
		}
	}
}

// policyCompiler compiles one policy's expressions as the API server validates a
// ValidatingAdmissionPolicy (k8s.io/kubernetes pkg/apis/admissionregistration/validation,
// which calls the plugin's compilers): match conditions with a compiler without
// variables, variables in order with the plugin's CompositedCompiler (each one typed by
// the compiled type of the expression, as CompileAndStoreVariable does), validations,
// message expressions (no authorizer) and audit annotations with the same composited
// compiler. The result types are checked by the plugin's own expression accessors
// (ValidationCondition: bool, MessageExpressionCondition: string,
// AuditAnnotationCondition: string or null, MatchCondition: bool). params is declared
// for every policy (clausegate's spec.params; in VAP a policy with a paramKind), and the
// environment carries clausegate's extra variable now (google.protobuf.Timestamp).
type policyCompiler struct {
	withNow    *environment.EnvSet
	stateless  plugincel.Compiler
	composited *plugincel.CompositedCompiler
}

func newPolicyCompiler() (*policyCompiler, error) {
	withNow, err := baseEnvSet().Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions:        []cel.EnvOption{cel.Variable(nowVar, cel.TimestampType)},
	})
	if err != nil {
		return nil, err
	}
	composited, err := plugincel.NewCompositedCompiler(withNow)
	if err != nil {
		return nil, err
	}
	return &policyCompiler{withNow: withNow, stateless: plugincel.NewCompiler(withNow), composited: composited}, nil
}

// costEnv is the environment the plugin's compiler builds for these options
// (createEnvForOpts in k8s.io/apiserver/pkg/admission/plugin/cel/compile.go, which is not
// exported): it is replicated here to have the checked AST for the cost estimate.
func costEnv(set *environment.EnvSet, opts plugincel.OptionalVariableDeclarations) (*cel.Env, error) {
	extended, err := set.Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions:        pluginVariables(opts),
		DeclTypes:         []*apiservercel.DeclType{namespaceDeclType, requestDeclType},
	}, environment.StrictCostOpt)
	if err != nil {
		return nil, err
	}
	return extended.Env(envType)
}

// pluginVariables are the variables the admission plugin declares (createEnvForOpts).
func pluginVariables(opts plugincel.OptionalVariableDeclarations) []cel.EnvOption {
	envOpts := []cel.EnvOption{
		cel.Variable(plugincel.ObjectVarName, cel.DynType),
		cel.Variable(plugincel.OldObjectVarName, cel.DynType),
		cel.Variable(plugincel.NamespaceVarName, namespaceDeclType.CelType()),
		cel.Variable(plugincel.RequestVarName, requestDeclType.CelType()),
	}
	if opts.HasParams {
		envOpts = append(envOpts, cel.Variable(plugincel.ParamsVarName, cel.DynType))
	}
	if opts.HasAuthorizer {
		envOpts = append(envOpts,
			cel.Variable(plugincel.AuthorizerVarName, library.AuthorizerType),
			cel.Variable(plugincel.RequestResourceAuthorizerVarName, library.ResourceCheckType))
	}
	return envOpts
}

// requestSizeEstimator bounds the size of every value that comes from a variable by the
// API server's request size limit (3 MiB): the API server knows no other bound for the
// objects a ValidatingAdmissionPolicy sees.
type requestSizeEstimator struct{}

func (requestSizeEstimator) EstimateSize(element checker.AstNode) *checker.SizeEstimate {
	if len(element.Path()) > 0 {
		return &checker.SizeEstimate{Min: 0, Max: uint64(celconfig.MaxRequestSizeBytes)}
	}
	return nil
}

func (requestSizeEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}

func estimateCost(env *cel.Env, expr string) *uint64 {
	ast, issues := env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		return nil
	}
	return estimateChecked(env, ast)
}

// estimateChecked: the estimate's max, or nil where cel-go cannot give one (or panics).
func estimateChecked(env *cel.Env, ast *cel.Ast) *uint64 {
	max, _ := estimateCheckedWhy(env, ast)
	return max
}

func estimateCheckedWhy(env *cel.Env, ast *cel.Ast) (max *uint64, why string) {
	defer func() {
		if r := recover(); r != nil {
			max, why = nil, fmt.Sprintf("panic: %v", r)
		}
	}()
	est, err := env.EstimateCost(ast, &library.CostEstimator{SizeEstimator: requestSizeEstimator{}})
	if err != nil {
		return nil, err.Error()
	}
	return &est.Max, ""
}

func celFieldError(path *field.Path, expr string, err *apiservercel.Error) string {
	switch err.Type {
	case apiservercel.ErrorTypeRequired:
		return field.Required(path, err.Detail).Error()
	case apiservercel.ErrorTypeInvalid:
		return err.Detail
	}
	return field.InternalError(path, err).Error()
}

func compilePolicies(dir string, w io.Writer) (bool, error) {
	files, err := policyFiles(dir)
	if err != nil {
		return false, err
	}
	bw := bufio.NewWriter(w)
	enc := newEncoder(bw)
	failed := false
	for _, file := range files {
		policies, err := readPolicies(file)
		if err != nil {
			return false, fmt.Errorf("%s: %w", file, err)
		}
		for _, p := range policies {
			pc, err := newPolicyCompiler()
			if err != nil {
				return false, err
			}
			withAuthz := plugincel.OptionalVariableDeclarations{HasParams: true, HasAuthorizer: true}
			noAuthz := plugincel.OptionalVariableDeclarations{HasParams: true, HasAuthorizer: false}
			statelessEnv, err := costEnv(pc.withNow, withAuthz)
			if err != nil {
				return false, err
			}
			emit := func(fieldPath *field.Path, expr string, result plugincel.CompilationResult, env func() (*cel.Env, error)) error {
				r := compileResult{File: file, Policy: p.Metadata.Name, Field: fieldPath.String(), OK: result.Error == nil}
				if result.Error != nil {
					failed = true
					r.Error = celFieldError(fieldPath, expr, result.Error)
				} else if e, err := env(); err == nil {
					r.Cost = estimateCost(e, expr)
				}
				return enc.Encode(r)
			}
			spec := field.NewPath("spec")
			for i, mc := range p.Spec.MatchConditions {
				expr := strings.TrimSpace(mc.Expression) // as validateMatchCondition
				res := pc.stateless.CompileCELExpression(&matchconditions.MatchCondition{Name: mc.Name, Expression: expr}, withAuthz, envType)
				if err := emit(spec.Child("matchConditions").Index(i).Child("expression"), expr, res,
					func() (*cel.Env, error) { return statelessEnv, nil }); err != nil {
					return false, err
				}
			}
			compositedEnv := func(opts plugincel.OptionalVariableDeclarations) func() (*cel.Env, error) {
				return func() (*cel.Env, error) {
					// The composited environment as it stands now: variables typed so far.
					return costEnvForComposited(pc, opts)
				}
			}
			for i, v := range p.Spec.Variables {
				res := pc.composited.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, withAuthz, envType)
				if err := emit(spec.Child("variables").Index(i).Child("expression"), v.Expression, res, compositedEnv(withAuthz)); err != nil {
					return false, err
				}
			}
			for i, v := range p.Spec.Validations {
				path := spec.Child("validations").Index(i)
				res := pc.composited.CompileCELExpression(&validating.ValidationCondition{Expression: v.Expression, Message: v.Message}, withAuthz, envType)
				if err := emit(path.Child("expression"), v.Expression, res, compositedEnv(withAuthz)); err != nil {
					return false, err
				}
				if strings.TrimSpace(v.MessageExpression) != "" {
					res := pc.composited.CompileCELExpression(&validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}, noAuthz, envType)
					if err := emit(path.Child("messageExpression"), v.MessageExpression, res, compositedEnv(noAuthz)); err != nil {
						return false, err
					}
				}
			}
			for i, a := range p.Spec.AuditAnnotations {
				res := pc.composited.CompileCELExpression(&validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression}, withAuthz, envType)
				if err := emit(spec.Child("auditAnnotations").Index(i).Child("valueExpression"), a.ValueExpression, res, compositedEnv(withAuthz)); err != nil {
					return false, err
				}
			}
		}
	}
	return failed, bw.Flush()
}

// costEnvForComposited: the composited compiler's environment (with `variables` typed as
// far as they are compiled) plus the plugin's variables, as createEnvForOpts adds them.
func costEnvForComposited(pc *policyCompiler, opts plugincel.OptionalVariableDeclarations) (*cel.Env, error) {
	env, err := pc.composited.Env(envType)
	if err != nil {
		return nil, err
	}
	provider := apiservercel.NewDeclTypeProvider(namespaceDeclType, requestDeclType)
	provider.SetRecognizeKeywordAsFieldName(true)
	providerOpts, err := provider.EnvOptions(env.CELTypeProvider())
	if err != nil {
		return nil, err
	}
	return env.Extend(append(pluginVariables(opts), providerOpts...)...)
}

// ---------------------------------------------------------------------------
// generate: expressions over every function and operator of the environment, with
// edge values, deterministic per seed. Each line is in the eval input format with a
// "category" naming the family it comes from.

type gType int

const (
	tInt gType = iota
	tUint
	tDouble
	tString
	tBool
	tBytes
	tNull
	tListInt
	tListStr
	tMapStrInt
	tTimestamp
	tDuration
	tOptInt
	tOptStr
	tDyn
	nTypes
)

var gTypeNames = [...]string{"int", "uint", "double", "string", "bool", "bytes", "null", "list-int", "list-string",
	"map", "timestamp", "duration", "optional-int", "optional-string", "dyn"}

type gen struct {
	r            *rand.Rand
	bindings     map[string]any
	jsonBindings map[string]any
	order        []string
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool   { return g.r.Float64() < p }

// celQuote writes s as a CEL string literal.
func celQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range s {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\'':
			b.WriteString(`\'`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

var (
	intLits = []string{"0", "1", "-1", "2", "3", "7", "-7", "10", "42", "100", "1000000", "2147483647", "-2147483648",
		"4294967296", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
		"0x7fffffffffffffff", "0x10", "3037000499", "3037000500", "-3037000500"}
	uintLits = []string{"0u", "1u", "2u", "7u", "10u", "4294967295u", "9223372036854775807u", "9223372036854775808u",
		"18446744073709551615u", "18446744073709551614u", "0xffffffffffffffffu", "4294967296u"}
	doubleLits = []string{"0.0", "-0.0", "1.0", "-1.0", "0.5", "1.5", "2.5", "-2.5", "0.1", "3.14", "1e10", "1e-10",
		"1e308", "-1e308", "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "9.223372036854775807e18",
		"9.223372036854776e18", "-9.223372036854775808e18", "-9.223372036854778e18", "1.8446744073709552e19",
		"1.8446744073709550e19", "9007199254740993.0", "123456789.0", "1e21", "1e-5", "100.0",
		"double('NaN')", "double('inf')", "double('-inf')", "double('Infinity')", "double('-0')"}
	stringVals = []string{"", "a", "abc", "ABC", "AbC", "Hello, World!", " padded ", "a-b_c.d", "café", "ß", "日本語", "🙂",
		"e\u0301", "\t\n", "null", "true", "True", "0", "-12", "+12", "1.5", "1e3", "NaN", "inf", "0x1F", "%", "%d",
		"a,b,,c", "aaa", "İi", "x", "prod", "nginx:latest", "registry.example.com/app@sha256:abc", "kube-system",
		"9223372036854775808", "-9223372036854775808", "18446744073709551615", "1_000", " 1", "1 ", "ǅ", "Ω", "\u00a0",
		"a\x00b", "\u2028", "abcabc", "ab", "b", "c", "bc", "A", "z", "_", "-", "/", ".", "..", "a.b.c", "1.2.3",
		"v1.2.3", "1.2.3-alpha.1+build.5", "500m", "1Gi", "http://example.com/a?b=c", "10.0.0.1", "::1"}
	bytesLits = []string{"b''", "b'a'", "b'abc'", `b'\xff'`, `b'\x00\x01'`, `b'caf\xc3\xa9'`, "bytes('ÿ')", "bytes('')",
		`b'\377\376'`, "b'ABC'"}
	timestampStrs = []string{"2024-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999Z", "2024-02-29T12:34:56.789+05:30", "2023-03-12T02:30:00-08:00",
		"2024-06-15T12:00:00.000000001Z", "2000-02-29T23:59:59-23:59", "2024-11-03T01:30:00-04:00",
		"2024-01-01T10:00:00+02:00", "1969-12-31T23:59:59.5Z", "2024-12-31T23:59:59+14:00", "2021-01-01T00:00:00.123Z"}
	badTimestampStrs = []string{"2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
		"10000-01-01T00:00:00Z", "2024-01-01t00:00:00z", "2024-01-01T24:00:00Z", "2024-12-31T23:59:60Z",
		"2024-01-01 00:00:00Z", "", "0000-01-01T00:00:00Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00.Z"}
	durationStrs = []string{"0s", "0", "1s", "-1s", "1.5s", "1h", "-1.5h", "1h30m", "1ms", "1us", "1µs", "1ns", "90m",
		"86400s", "315576000000s", "-315576000000s", "2562047h", "0.000000001s", "1h1m1s1ms1us1ns", ".5s", "-0s", "3m20s"}
	badDurationStrs = []string{"", "1", "1x", "1d", "1e3s", "--1s", "1h-1m", "315576000001s", "2562048h", "s", "1.s", "+-1s", " 1s"}
	timeZones       = []string{"UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Australia/Lord_Howe",
		"Asia/Kathmandu", "+05:30", "-08:00", "02:00", "-00:00", "+14:00", "Invalid/Zone", "", "utc", "EST", "Etc/GMT+5",
		"America/Argentina/Buenos_Aires", "+5:30", "-24:00", "Z", "+00:00", "Local", "Pacific/Chatham", "-01:30"}
	formatStrs = []string{"%s", "%d", "%f", "%.2f", "%.0f", "%e", "%.3e", "%x", "%X", "%o", "%b", "%%", "%s-%s",
		"%s %d", "%", "%z", "%5d", "%.2s", "%v", "value: %s!", "%s%s%s", "%.10f", "%.1e", "%d%%", "%x-%X", "%.f"}
	quantityStrs = []string{"0", "1", "-1", "+1", "1.5", "1e3", "1E3", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei", "1k", "1M",
		"1G", "1m", "100m", "1500m", "0.1", "1.0", "0.000000001", "1n", "1u", "9223372036854775807", "1e30", "1e-30",
		"2Gi", "2048Mi", "1000Mi", "1.5Gi", "", "1e", "1Kib", " 1", "abc", "1.2.3", "-0", "10e-1", "0.5Gi", "1023Ki"}
	urlStrs = []string{"https://example.com", "https://example.com:8443/a%20b?x=1&y=2#frag", "http://[::1]:80/p",
		"http://user:pw@host/", "a:b", "/path/only", "ftp://h", "", "http://host:port", "relative/path", "//host/p",
		"https://ex.com/a/../b", "https://EXAMPLE.com/Ü", "mailto:a@b.c", "http://1.2.3.4:65535", "http://h:99999",
		"https://ex.com/?", "http://[fe80::1%25en0]:8080/"}
	ipStrs = []string{"127.0.0.1", "::1", "::ffff:1.2.3.4", "0.0.0.0", "::", "1.2.3", "01.2.3.4", "fe80::1%eth0",
		"192.168.0.1", "10.0.0.1", "255.255.255.255", "2001:db8::1", "2001:DB8::1", "169.254.1.1", "224.0.0.1",
		"ff02::1", "fe80::1", "1.2.3.4.5", "", "::FFFF:1.2.3.4", "2001:db8:0:0:0:0:0:1"}
	cidrStrs = []string{"192.168.0.1/24", "192.168.0.0/24", "10.0.0.0/8", "::/0", "0.0.0.0/0", "2001:db8::/33",
		"1.2.3.4/33", "1.2.3.4/32", "::1/128", "10.0.0.0/08", "10.0.0.0", "fe80::1%eth0/64", "::ffff:1.2.3.4/120", ""}
	semverStrs = []string{"1.2.3", "v1.2.3", "1.2", "1", "0.0.0", "1.2.3-alpha", "1.2.3-alpha.1+build.5", "1.2.3+meta",
		"01.2.3", "1.02.3", "v1.2", "1.2.3.4", "", "1.2.3-", "10.20.30", "1.0.0-rc.1", "V1.2.3", " 1.2.3"}
	formatNames = []string{"dns1123Label", "dns1123Subdomain", "dns1035Label", "qualifiedName", "dns1123LabelPrefix",
		"dns1123SubdomainPrefix", "dns1035LabelPrefix", "labelValue", "uri", "uuid", "byte", "date", "datetime",
		"notAFormat", ""}
	formatSamples = []string{"abc", "ABC", "a-b", "-ab", "a.b", "1abc", "", "a_b", "example.com/name", "x/y/z",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "2024-01-01", "2024-01-01T00:00:00Z", "YWJj", "not base64!",
		"123e4567-e89b-12d3-a456-426614174000", "https://example.com", "café", "a..b"}
	regexes = []string{"^a+$", "(?i)abc", `\d+`, "[", "", ".*", "a|b", `\p{L}+`, "(?=a)", `(a)\1`, "^$", "b+", "[[:alpha:]]+",
		`\bfoo\b`, "x*", "(a|ab)(c|bcd)", "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "é", ".", "(?s).", `\Q.*\E`, "a{2,}", "a{1001}"}
)

// Values for bound variables, in the tagged form.
func tInt64(v int64) any     { return map[string]any{"int": strconv.FormatInt(v, 10)} }
func tUint64(v uint64) any   { return map[string]any{"uint": strconv.FormatUint(v, 10)} }
func tStr(s string) any      { return map[string]any{"string": s} }
func tBoolV(b bool) any      { return map[string]any{"bool": b} }
func tList(items []any) any  { return map[string]any{"list": items} }
func tDoubleV(f float64) any { return map[string]any{"double": formatDouble(f)} }

var (
	intVals    = []int64{0, 1, -1, 2, 3, 5, -5, 42, 100, math.MaxInt64, math.MinInt64, math.MaxInt32, 1 << 32, 3037000500}
	uintVals   = []uint64{0, 1, 2, 3, 42, math.MaxUint64, 1 << 63, math.MaxUint32}
	doubleVals = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 2.5, -2.5, 0.1, 1e300, -1e300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 9.223372036854775807e18, 1e19, 3}
)

func (g *gen) bind(name string, v any) string {
	if _, ok := g.bindings[name]; !ok {
		g.bindings[name] = v
	}
	return name
}

func (g *gen) bindJSON(name string, v any) string {
	if _, ok := g.jsonBindings[name]; !ok {
		g.jsonBindings[name] = v
	}
	return name
}

func (g *gen) intValue() any  { return tInt64(intVals[g.r.IntN(len(intVals))]) }
func (g *gen) smallInt() any  { return tInt64(int64(g.r.IntN(7) - 1)) }
func (g *gen) uintValue() any { return tUint64(uintVals[g.r.IntN(len(uintVals))]) }
func (g *gen) dblValue() any  { return tDoubleV(doubleVals[g.r.IntN(len(doubleVals))]) }
func (g *gen) strValue() any  { return tStr(g.pick(stringVals)) }

func (g *gen) listIntValue() any {
	n := g.r.IntN(5)
	items := make([]any, n)
	for i := range items {
		if g.chance(0.8) {
			items[i] = tInt64(int64(g.r.IntN(9) - 2))
		} else {
			items[i] = g.intValue()
		}
	}
	return tList(items)
}

func (g *gen) listStrValue() any {
	n := g.r.IntN(5)
	items := make([]any, n)
	for i := range items {
		items[i] = tStr(g.pick([]string{"a", "b", "c", "", "ab", "B", "日本", "a", "x-y"}))
	}
	return tList(items)
}

func (g *gen) mapValue() any {
	keys := []string{"a", "b", "c", "", "app", "A", "x.y/z"}
	n := g.r.IntN(4)
	var entries []any
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		k := g.pick(keys)
		if seen[k] {
			continue
		}
		seen[k] = true
		entries = append(entries, []any{tStr(k), tInt64(int64(g.r.IntN(9) - 2))})
	}
	if entries == nil {
		entries = []any{}
	}
	return map[string]any{"map": entries}
}

func (g *gen) timestampValue() any {
	secs := []int64{0, 1704067200, -1, 253402300799, -62135596800, 1709210096, 951868799}
	return map[string]any{"timestamp": map[string]any{"seconds": strconv.FormatInt(secs[g.r.IntN(len(secs))], 10),
		"nanos": []int{0, 1, 500000000, 999999999}[g.r.IntN(4)]}}
}

func (g *gen) durationValue() any {
	secs := []int64{0, 1, -1, 3600, -5400, 86400, 315576000000, -315576000000, 59}
	return map[string]any{"duration": map[string]any{"seconds": strconv.FormatInt(secs[g.r.IntN(len(secs))], 10),
		"nanos": 0}}
}

func (g *gen) bytesValue() any {
	return map[string]any{"bytes_b64": g.pick([]string{"", "YQ==", "YWJj", "/w==", "AAE=", "Y2Fmw6k="})}
}

func (g *gen) optValue(inner any) any {
	if g.chance(0.35) {
		return map[string]any{"optional": nil}
	}
	return map[string]any{"optional": inner}
}

// object is a Kubernetes-style object in plain JSON (as json_bindings), with the shapes
// policies meet: missing parts, nulls, numbers written as integers and as floats.
func (g *gen) object() any {
	containers := []any{}
	for i := 0; i < g.r.IntN(3); i++ {
		c := map[string]any{"name": g.pick([]string{"app", "sidecar", "init", "", "web"}),
			"image": g.pick([]string{"nginx:latest", "nginx", "registry.example.com/app@sha256:abc", "busybox:1.36", ""})}
		if g.chance(0.5) {
			sc := map[string]any{}
			if g.chance(0.6) {
				sc["privileged"] = g.chance(0.3)
			}
			if g.chance(0.5) {
				sc["runAsUser"] = []any{0, 1000, 65534, 1.5, -1, 9007199254740993}[g.r.IntN(6)]
			}
			if g.chance(0.3) {
				sc["capabilities"] = map[string]any{"add": []any{"NET_ADMIN", "SYS_TIME"}[:g.r.IntN(3)], "drop": []any{"ALL"}}
			}
			if g.chance(0.1) {
				c["securityContext"] = nil
			} else {
				c["securityContext"] = sc
			}
		}
		if g.chance(0.5) {
			ports := []any{}
			for j := 0; j < g.r.IntN(3); j++ {
				p := map[string]any{"containerPort": []any{80, 443, 8080, 0, 65536}[g.r.IntN(5)]}
				if g.chance(0.4) {
					p["hostPort"] = []any{0, 80, 8080}[g.r.IntN(3)]
				}
				ports = append(ports, p)
			}
			c["ports"] = ports
		}
		if g.chance(0.5) {
			c["resources"] = map[string]any{"limits": map[string]any{"cpu": g.pick([]string{"500m", "1", "2.5", "100m"}),
				"memory": g.pick([]string{"1Gi", "512Mi", "2G", "1e9"})}}
		}
		if g.chance(0.1) {
			containers = append(containers, nil)
		} else {
			containers = append(containers, c)
		}
	}
	spec := map[string]any{"containers": containers}
	if g.chance(0.4) {
		spec["hostNetwork"] = g.chance(0.5)
	}
	if g.chance(0.4) {
		spec["replicas"] = []any{1, 3, 0, 2.0, 1.5, -1}[g.r.IntN(6)]
	}
	meta := map[string]any{"name": g.pick([]string{"web", "", "a-b", "日本"}), "namespace": g.pick([]string{"default", "kube-system", "prod"})}
	if g.chance(0.7) {
		labels := map[string]any{}
		for _, k := range []string{"app", "env", "clausegate.io/tenant", "version"} {
			if g.chance(0.5) {
				labels[k] = g.pick([]string{"web", "prod", "acme", "", "1.2.3", "v1"})
			}
		}
		meta["labels"] = labels
	}
	if g.chance(0.3) {
		meta["annotations"] = map[string]any{"note": g.pick([]string{"x", "", "a=b"})}
	}
	obj := map[string]any{"apiVersion": "v1", "kind": g.pick([]string{"Pod", "Deployment", "Namespace"}), "metadata": meta}
	if g.chance(0.9) {
		obj["spec"] = spec
	}
	if g.chance(0.05) {
		return nil
	}
	return obj
}

// variable returns a bound variable of type t (binding it on first use), or "".
func (g *gen) variable(t gType) string {
	switch t {
	case tInt:
		if g.chance(0.5) {
			return g.bind("j", g.smallInt())
		}
		return g.bind("i", g.intValue())
	case tUint:
		return g.bind("u", g.uintValue())
	case tDouble:
		return g.bind("d", g.dblValue())
	case tString:
		if g.chance(0.5) {
			return g.bind("t", g.strValue())
		}
		return g.bind("s", g.strValue())
	case tBool:
		return g.bind("b", tBoolV(g.chance(0.5)))
	case tNull:
		return g.bind("n", map[string]any{"null": nil})
	case tListInt:
		return g.bind("l", g.listIntValue())
	case tListStr:
		return g.bind("ls", g.listStrValue())
	case tMapStrInt:
		return g.bind("m", g.mapValue())
	case tTimestamp:
		return g.bind("ts", g.timestampValue())
	case tDuration:
		return g.bind("du", g.durationValue())
	case tBytes:
		return g.bind("by", g.bytesValue())
	case tOptInt:
		return g.bind("oi", g.optValue(g.intValue()))
	case tOptStr:
		return g.bind("os", g.optValue(g.strValue()))
	case tDyn:
		return g.bindJSON("o", g.object())
	}
	return ""
}

// identity conversions: a variable (dyn) used where a literal of its type could stand
// gets its static type back half of the time, so that literals stay homogeneous.
var identity = map[gType]string{tInt: "int", tUint: "uint", tDouble: "double", tString: "string", tBool: "bool",
	tBytes: "bytes", tTimestamp: "timestamp", tDuration: "duration"}

func (g *gen) leaf(t gType) string {
	if g.chance(0.3) {
		if v := g.variable(t); v != "" {
			if conv, ok := identity[t]; ok && g.chance(0.5) {
				return conv + "(" + v + ")"
			}
			return v
		}
	}
	switch t {
	case tInt:
		return g.pick(intLits)
	case tUint:
		return g.pick(uintLits)
	case tDouble:
		return g.pick(doubleLits)
	case tString:
		return celQuote(g.pick(stringVals))
	case tBool:
		return g.pick([]string{"true", "false"})
	case tBytes:
		return g.pick(bytesLits)
	case tNull:
		return "null"
	case tListInt:
		return g.pick([]string{"[]", "[1, 2, 3]", "[3, 1, 2]", "[0]", "[-1, 9223372036854775807]", "[1, 1, 2]", "[2, 1]"})
	case tListStr:
		return g.pick([]string{"[]", "['a', 'b']", "['b', 'a', 'b']", "['']", "['日本', 'a']", "['x-y', 'X']"})
	case tMapStrInt:
		return g.pick([]string{"{}", "{'a': 1}", "{'a': 1, 'b': 2}", "{'': 0}", "{'b': -1, 'a': 3}"})
	case tTimestamp:
		return "timestamp(" + celQuote(g.pick(timestampStrs)) + ")"
	case tDuration:
		return "duration(" + celQuote(g.pick(durationStrs)) + ")"
	case tOptInt:
		return g.pick([]string{"optional.none()", "optional.of(1)", "optional.of(0)", "optional.ofNonZeroValue(0)", "optional.ofNonZeroValue(5)"})
	case tOptStr:
		return g.pick([]string{"optional.none()", "optional.of('a')", "optional.of('')", "optional.ofNonZeroValue('')"})
	case tDyn:
		return g.pick([]string{"dyn(1)", "dyn('a')", "dyn(null)", "dyn([1, 'a'])", "dyn({'a': 1})", "dyn(1.0)", "dyn(1u)", "dyn(true)"})
	}
	return "null"
}

func paren(s string) string { return "(" + s + ")" }

// expr builds a random expression of type t.
func (g *gen) expr(t gType, depth int) string {
	if depth <= 0 || g.chance(0.2) {
		return g.leaf(t)
	}
	d := depth - 1
	e := func(t gType) string { return g.expr(t, d) }
	switch t {
	case tInt:
		switch g.r.IntN(30) {
		case 0, 1:
			return paren(e(tInt) + g.pick([]string{" + ", " - ", " * ", " / ", " % "}) + e(tInt))
		case 2:
			return "-" + paren(e(tInt))
		case 3:
			return "int(" + e(g.pickType(tDouble, tUint, tString, tTimestamp, tDuration, tInt)) + ")"
		case 4:
			return e(tString) + ".size()"
		case 5:
			return "size(" + e(g.pickType(tListInt, tListStr, tMapStrInt, tString, tBytes)) + ")"
		case 6:
			return e(tString) + ".indexOf(" + e(tString) + ")"
		case 7:
			return e(tString) + ".lastIndexOf(" + e(tString) + ", " + e(tInt) + ")"
		case 8:
			return e(tString) + ".indexOf(" + e(tString) + ", " + e(tInt) + ")"
		case 9:
			return e(tListInt) + ".indexOf(" + e(tInt) + ")"
		case 10:
			return e(tListInt) + ".lastIndexOf(" + e(tInt) + ")"
		case 11:
			acc := g.pick([]string{"getFullYear", "getMonth", "getDayOfYear", "getDate", "getDayOfMonth", "getDayOfWeek",
				"getHours", "getMinutes", "getSeconds", "getMilliseconds"})
			if g.chance(0.5) {
				return e(tTimestamp) + "." + acc + "(" + celQuote(g.pick(timeZones)) + ")"
			}
			return e(tTimestamp) + "." + acc + "()"
		case 12:
			return e(tDuration) + "." + g.pick([]string{"getHours", "getMinutes", "getSeconds", "getMilliseconds"}) + "()"
		case 13:
			return e(tListInt) + "." + g.pick([]string{"sum", "min", "max"}) + "()"
		case 14:
			return e(tBool) + " ? " + e(tInt) + " : " + e(tInt)
		case 15:
			return e(tOptInt) + ".orValue(" + e(tInt) + ")"
		case 16:
			return e(tListInt) + "[" + e(tInt) + "]"
		case 17:
			return e(tMapStrInt) + "[" + e(tString) + "]"
		case 18:
			return "quantity(" + celQuote(g.pick(quantityStrs)) + ")." + g.pick([]string{"asInteger()", "compareTo(quantity('1'))"})
		case 19:
			return "sign(quantity(" + celQuote(g.pick(quantityStrs)) + "))"
		case 20:
			return e(tListInt) + ".map(x, " + e(tInt) + ").size()"
		case 21:
			return "lists.range(" + e(tInt) + ").size()"
		case 22:
			return e(tListInt) + ".first().orValue(" + e(tInt) + ")"
		case 23:
			return "dyn(" + e(tInt) + ")"
		case 24:
			return e(tString) + ".split(" + e(tString) + ").size()"
		case 25:
			return e(tListInt) + ".sortBy(x, -x)[0]"
		case 26:
			return e(tOptInt) + ".value()"
		case 27:
			return "semver(" + celQuote(g.pick(semverStrs)) + ")." + g.pick([]string{"major()", "minor()", "patch()", "compareTo(semver('1.2.3'))"})
		case 28:
			return "ip(" + celQuote(g.pick(ipStrs)) + ").family()"
		default:
			return "cidr(" + celQuote(g.pick(cidrStrs)) + ").prefixLength()"
		}
	case tUint:
		switch g.r.IntN(6) {
		case 0, 1:
			return paren(e(tUint) + g.pick([]string{" + ", " - ", " * ", " / ", " % "}) + e(tUint))
		case 2:
			return "uint(" + e(g.pickType(tInt, tDouble, tString, tUint)) + ")"
		case 3:
			return "[" + e(tUint) + ", " + e(tUint) + "]." + g.pick([]string{"sum", "min", "max"}) + "()"
		case 4:
			return e(tBool) + " ? " + e(tUint) + " : " + e(tUint)
		default:
			return "dyn(" + e(tUint) + ")"
		}
	case tDouble:
		switch g.r.IntN(8) {
		case 0, 1:
			return paren(e(tDouble) + g.pick([]string{" + ", " - ", " * ", " / "}) + e(tDouble))
		case 2:
			return "-" + paren(e(tDouble))
		case 3:
			return "double(" + e(g.pickType(tInt, tUint, tString, tDouble)) + ")"
		case 4:
			return "quantity(" + celQuote(g.pick(quantityStrs)) + ").asApproximateFloat()"
		case 5:
			return "[" + e(tDouble) + ", " + e(tDouble) + "]." + g.pick([]string{"sum", "min", "max"}) + "()"
		case 6:
			return e(tBool) + " ? " + e(tDouble) + " : " + e(tDouble)
		default:
			return "double(" + celQuote(g.pick(stringVals)) + ")"
		}
	case tString:
		switch g.r.IntN(26) {
		case 0, 1:
			return paren(e(tString) + " + " + e(tString))
		case 2:
			return "string(" + e(g.pickType(tInt, tUint, tDouble, tBool, tBytes, tTimestamp, tDuration, tString)) + ")"
		case 3:
			return e(tString) + "." + g.pick([]string{"lowerAscii", "upperAscii", "trim"}) + "()"
		case 4:
			return e(tString) + ".replace(" + e(tString) + ", " + e(tString) + ")"
		case 5:
			return e(tString) + ".replace(" + e(tString) + ", " + e(tString) + ", " + e(tInt) + ")"
		case 6:
			return e(tString) + ".substring(" + e(tInt) + ")"
		case 7:
			return e(tString) + ".substring(" + e(tInt) + ", " + e(tInt) + ")"
		case 8:
			return e(tString) + ".charAt(" + e(tInt) + ")"
		case 9:
			return celQuote(g.pick(formatStrs)) + ".format(" + g.formatArgs(d) + ")"
		case 10:
			return "strings.quote(" + e(tString) + ")"
		case 11:
			if g.chance(0.5) {
				return e(tListStr) + ".join()"
			}
			return e(tListStr) + ".join(" + e(tString) + ")"
		case 12:
			return e(tString) + ".find(" + celQuote(g.pick(regexes)) + ")"
		case 13:
			return "url(" + celQuote(g.pick(urlStrs)) + ")." + g.pick([]string{"getScheme", "getHost", "getHostname",
				"getPort", "getEscapedPath"}) + "()"
		case 14:
			return "string(ip(" + celQuote(g.pick(ipStrs)) + "))"
		case 15:
			return "string(cidr(" + celQuote(g.pick(cidrStrs)) + "))"
		case 16:
			return e(tBool) + " ? " + e(tString) + " : " + e(tString)
		case 17:
			return e(tOptStr) + ".orValue(" + e(tString) + ")"
		case 18:
			return e(tListStr) + "[" + e(tInt) + "]"
		case 19:
			return "string(cidr(" + celQuote(g.pick(cidrStrs)) + ").masked())"
		case 20:
			return "string(cidr(" + celQuote(g.pick(cidrStrs)) + ").ip())"
		case 21:
			return e(tString) + ".split(" + e(tString) + ", " + e(tInt) + ").join('|')"
		case 22:
			return "url(" + celQuote(g.pick(urlStrs)) + ").getQuery()." + g.pick([]string{"size()", "?x.orValue([''])[0]"})
		case 23:
			return e(tListStr) + ".sort().join(',')"
		case 24:
			return e(tString) + ".findAll(" + celQuote(g.pick(regexes)) + ").join(',')"
		default:
			return "dyn(" + e(tString) + ")"
		}
	case tBool:
		switch g.r.IntN(30) {
		case 0, 1, 2:
			a, b := g.pickType(tInt, tUint, tDouble), g.pickType(tInt, tUint, tDouble)
			return e(a) + g.pick([]string{" == ", " != ", " < ", " <= ", " > ", " >= "}) + e(b)
		case 3:
			x := g.pickType(tString, tBytes, tBool, tTimestamp, tDuration, tListInt, tMapStrInt, tNull, tOptInt)
			y := x
			if g.chance(0.15) {
				y = g.pickType(tString, tInt, tNull, tDyn)
			}
			return e(x) + g.pick([]string{" == ", " != ", " < ", " <= ", " > ", " >= "}) + e(y)
		case 4, 5:
			return paren(e(tBool) + g.pick([]string{" && ", " || "}) + e(tBool))
		case 6:
			return "!" + paren(e(tBool))
		case 7:
			if g.chance(0.5) {
				return e(tInt) + " in " + e(tListInt)
			}
			return e(tString) + " in " + e(tMapStrInt)
		case 8:
			return e(tString) + "." + g.pick([]string{"contains", "startsWith", "endsWith"}) + "(" + e(tString) + ")"
		case 9:
			return e(tString) + ".matches(" + celQuote(g.pick(regexes)) + ")"
		case 10:
			return e(tListInt) + "." + g.pick([]string{"all", "exists", "exists_one", "existsOne"}) + "(x, " + g.predicate("x", d) + ")"
		case 11:
			return e(tListInt) + "." + g.pick([]string{"all", "exists", "existsOne"}) + "(i, v, " + g.predicate2(d) + ")"
		case 12:
			return e(tMapStrInt) + "." + g.pick([]string{"all", "exists", "exists_one"}) + "(k, " + e(tString) + " == k)"
		case 13:
			return e(tListInt) + ".isSorted()"
		case 14:
			return "sets." + g.pick([]string{"contains", "intersects", "equivalent"}) + "(" + e(tListInt) + ", " + e(tListInt) + ")"
		case 15:
			return g.pick([]string{"isQuantity", "isURL", "isIP", "isCIDR", "isSemver"}) + "(" + e(tString) + ")"
		case 16:
			return "ip(" + celQuote(g.pick(ipStrs)) + ")." + g.pick([]string{"isLoopback", "isUnspecified", "isGlobalUnicast",
				"isLinkLocalMulticast", "isLinkLocalUnicast"}) + "()"
		case 17:
			return "ip.isCanonical(" + celQuote(g.pick(ipStrs)) + ")"
		case 18:
			if g.chance(0.5) {
				return "cidr(" + celQuote(g.pick(cidrStrs)) + ").containsIP(" + celQuote(g.pick(ipStrs)) + ")"
			}
			return "cidr(" + celQuote(g.pick(cidrStrs)) + ").containsCIDR(" + celQuote(g.pick(cidrStrs)) + ")"
		case 19:
			return "quantity(" + celQuote(g.pick(quantityStrs)) + ")." + g.pick([]string{"isGreaterThan", "isLessThan"}) +
				"(quantity(" + celQuote(g.pick(quantityStrs)) + "))"
		case 20:
			return "quantity(" + celQuote(g.pick(quantityStrs)) + ").isInteger()"
		case 21:
			return "semver(" + celQuote(g.pick(semverStrs)) + ")." + g.pick([]string{"isGreaterThan", "isLessThan"}) +
				"(semver(" + celQuote(g.pick(semverStrs)) + "))"
		case 22:
			return "format." + g.pick(formatNames) + "().validate(" + e(tString) + ").hasValue()"
		case 23:
			return e(g.pickType(tOptInt, tOptStr)) + ".hasValue()"
		case 24:
			return e(tListInt) + ".includes(" + e(tInt) + ")"
		case 25:
			return "bool(" + e(tString) + ")"
		case 26:
			return "has(" + g.variable(tDyn) + "." + g.pick([]string{"spec", "metadata.labels", "spec.hostNetwork", "status", "kind"}) + ")"
		case 27:
			return e(tBool) + " ? " + e(tBool) + " : " + e(tBool)
		case 28:
			return "type(" + e(g.pickType(tInt, tUint, tDouble, tString, tNull, tListInt, tMapStrInt, tDyn)) + ") == " +
				g.pick([]string{"int", "uint", "double", "string", "null_type", "list", "map", "bool", "bytes", "type"})
		default:
			return "isSemver(" + e(tString) + ", true)"
		}
	case tBytes:
		switch g.r.IntN(3) {
		case 0:
			return paren(e(tBytes) + " + " + e(tBytes))
		case 1:
			return "bytes(" + e(tString) + ")"
		default:
			return "bytes(" + e(tBytes) + ")"
		}
	case tListInt:
		switch g.r.IntN(18) {
		case 0:
			return "[" + e(tInt) + ", " + e(tInt) + "]"
		case 1:
			return paren(e(tListInt) + " + " + e(tListInt))
		case 2:
			return e(tListInt) + ".map(x, " + g.intOf("x", d) + ")"
		case 3:
			return e(tListInt) + ".filter(x, " + g.predicate("x", d) + ")"
		case 4:
			return e(tListInt) + ".map(x, " + g.predicate("x", d) + ", " + g.intOf("x", d) + ")"
		case 5:
			return e(tListInt) + ".slice(" + e(tInt) + ", " + e(tInt) + ")"
		case 6:
			return e(tListInt) + "." + g.pick([]string{"reverse", "sort", "distinct"}) + "()"
		case 7:
			return "[" + e(tListInt) + ", " + e(tListInt) + "].flatten()"
		case 8:
			return "lists.range(" + g.pick([]string{"0", "1", "5", "-1", "3"}) + ")"
		case 9:
			return e(tListInt) + ".sortBy(x, " + g.intOf("x", d) + ")"
		case 10:
			return e(tListInt) + ".transformList(i, v, " + g.predicate2(d) + ", v + i)"
		case 11:
			return e(tListInt) + ".transformList(i, v, v * i)"
		case 12:
			return "[" + e(tInt) + ", ?" + e(tOptInt) + "]"
		case 13:
			return e(tMapStrInt) + ".map(k, " + e(tMapStrInt) + "[?k].orValue(7))"
		case 14:
			return e(tBool) + " ? " + e(tListInt) + " : " + e(tListInt)
		case 15:
			return e(tListInt) + ".distinct()"
		case 16:
			return "[[" + e(tInt) + "], [[" + e(tInt) + "]]].flatten(" + g.pick([]string{"0", "1", "2", "-1"}) + ")"
		default:
			return "dyn(" + e(tListInt) + ")"
		}
	case tListStr:
		switch g.r.IntN(8) {
		case 0:
			return "[" + e(tString) + ", " + e(tString) + "]"
		case 1:
			return e(tString) + ".split(" + e(tString) + ")"
		case 2:
			return e(tString) + ".findAll(" + celQuote(g.pick(regexes)) + ")"
		case 3:
			return e(tString) + ".findAll(" + celQuote(g.pick(regexes)) + ", " + e(tInt) + ")"
		case 4:
			return e(tListStr) + ".map(x, x + " + e(tString) + ")"
		case 5:
			return e(tMapStrInt) + ".map(k, k)"
		case 6:
			return e(tMapStrInt) + ".filter(k, " + e(tMapStrInt) + "[k] > 0)"
		default:
			return e(tListInt) + ".map(x, string(x))"
		}
	case tMapStrInt:
		switch g.r.IntN(8) {
		case 0:
			return "{" + e(tString) + ": " + e(tInt) + "}"
		case 1:
			return "{" + e(tString) + ": " + e(tInt) + ", " + e(tString) + ": " + e(tInt) + "}"
		case 2:
			return e(tMapStrInt) + ".transformMap(k, v, v * 2)"
		case 3:
			return e(tMapStrInt) + ".transformMap(k, v, v > 0, v + 1)"
		case 4:
			return e(tMapStrInt) + ".transformMapEntry(k, v, {k + " + e(tString) + ": v})"
		case 5:
			return "{?" + e(tString) + ": " + e(tOptInt) + "}"
		case 6:
			return e(tListStr) + ".transformMap(i, v, i)"
		default:
			return e(tBool) + " ? " + e(tMapStrInt) + " : " + e(tMapStrInt)
		}
	case tTimestamp:
		switch g.r.IntN(6) {
		case 0:
			return paren(e(tTimestamp) + g.pick([]string{" + ", " - "}) + e(tDuration))
		case 1:
			return paren(e(tDuration) + " + " + e(tTimestamp))
		case 2:
			return "timestamp(" + e(tInt) + ")"
		case 3:
			return "timestamp(" + e(tString) + ")"
		case 4:
			return "timestamp(" + celQuote(g.pick(badTimestampStrs)) + ")"
		default:
			return "[" + e(tTimestamp) + ", " + e(tTimestamp) + "]." + g.pick([]string{"min", "max"}) + "()"
		}
	case tDuration:
		switch g.r.IntN(6) {
		case 0:
			return paren(e(tDuration) + g.pick([]string{" + ", " - "}) + e(tDuration))
		case 1:
			return paren(e(tTimestamp) + " - " + e(tTimestamp))
		case 2:
			return "duration(" + e(tString) + ")"
		case 3:
			return "duration(" + celQuote(g.pick(badDurationStrs)) + ")"
		case 4:
			return "[" + e(tDuration) + ", " + e(tDuration) + "].sum()"
		default:
			return "-" + paren(e(tDuration))
		}
	case tOptInt:
		switch g.r.IntN(9) {
		case 0:
			return "optional.of(" + e(tInt) + ")"
		case 1:
			return "optional.ofNonZeroValue(" + e(tInt) + ")"
		case 2:
			return e(tListInt) + "[?" + e(tInt) + "]"
		case 3:
			return e(tMapStrInt) + "[?" + e(tString) + "]"
		case 4:
			return e(tOptInt) + ".or(" + e(tOptInt) + ")"
		case 5:
			return e(tOptInt) + ".optMap(x, " + g.intOf("x", d) + ")"
		case 6:
			return e(tOptInt) + ".optFlatMap(x, " + g.predicate("x", d) + " ? optional.of(x) : optional.none())"
		case 7:
			return e(tListInt) + "." + g.pick([]string{"first", "last"}) + "()"
		default:
			return e(tMapStrInt) + ".?" + g.pick([]string{"a", "b", "c"})
		}
	case tOptStr:
		switch g.r.IntN(5) {
		case 0:
			return "optional.of(" + e(tString) + ")"
		case 1:
			return "optional.ofNonZeroValue(" + e(tString) + ")"
		case 2:
			return e(tListStr) + "[?" + e(tInt) + "]"
		case 3:
			return "format." + g.pick(formatNames) + "().validate(" + e(tString) + ").optMap(l, l.join('; '))"
		default:
			return g.variable(tDyn) + ".?metadata.?" + g.pick([]string{"name", "namespace", "labels.app", "missing"})
		}
	case tDyn:
		return g.jsonExpr(d)
	}
	return g.leaf(t)
}

func (g *gen) pickType(ts ...gType) gType { return ts[g.r.IntN(len(ts))] }

// predicate is a bool expression over the int variable v.
func (g *gen) predicate(v string, depth int) string {
	switch g.r.IntN(6) {
	case 0:
		return v + " > " + g.expr(tInt, depth)
	case 1:
		return v + " % 2 == 0"
	case 2:
		return "10 / " + v + " > 1"
	case 3:
		return v + " == " + g.expr(tInt, depth)
	case 4:
		return v + " < 0 || " + g.expr(tBool, depth)
	default:
		return g.expr(tBool, depth)
	}
}

func (g *gen) predicate2(depth int) string {
	return g.pick([]string{"v > i", "i % 2 == 0", "v == i", "i < " + g.expr(tInt, depth), "v / i > 0"})
}

func (g *gen) intOf(v string, depth int) string {
	return g.pick([]string{v + " * 2", v + " + " + g.expr(tInt, depth), "-" + v, v + " * " + v, "100 / " + v, v})
}

func (g *gen) formatArgs(depth int) string {
	args := []string{"1", "-1", "1u", "3.0", "2.5", "1234.5", "-0.0", "double('NaN')", "double('inf')", "'a'", "true",
		"null", "b'ab'", "[1, 'a', 2.5]", "{'a': 1}", "duration('1.5s')", "timestamp('2024-01-01T00:00:00Z')", "255",
		"-255", "3.14159", "1e21", "0.000012345", "9223372036854775807", "18446744073709551615u", "[]", "{}", "'日本'",
		"[1.5]", "[2.0, 3]", "['a', 'b']", "{'k': [1.0]}", "type(1)", "[null]", "1.0", "100.0", "1e-7"}
	n := g.r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		if g.chance(0.2) {
			parts[i] = g.expr(g.pickType(tInt, tDouble, tString, tBool, tListInt, tUint), depth)
		} else {
			parts[i] = g.pick(args)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// jsonExpr reads the plain JSON object o as policies do.
func (g *gen) jsonExpr(depth int) string {
	o := g.variable(tDyn)
	return g.pick([]string{
		o + ".metadata.name",
		o + ".?metadata.?labels.?app.orValue('none')",
		o + ".metadata.?labels.orValue({})",
		o + ".spec.containers.map(c, c.image)",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? '' : c.?image.orValue(''))",
		o + ".?spec.?containers.orValue([]).filter(c, c != null && c.?securityContext.?privileged.orValue(false))",
		o + ".?spec.?containers.orValue([]).all(c, c == null || !has(c.securityContext) || c.securityContext == null || c.securityContext.?runAsUser.orValue(1) != 0)",
		o + ".?spec.?containers.orValue([]).exists(c, c != null && c.?resources.?limits.?cpu.orValue('0') == '500m')",
		o + ".?spec.?replicas.orValue(1)",
		o + ".?spec.?replicas.orValue(1) > 2",
		o + ".spec.replicas + 1",
		o + ".spec.replicas * 2.0",
		o + ".?metadata.?labels.orValue({}).all(k, v, k.startsWith('app') || v != '')",
		o + ".?metadata.?labels.orValue({}).transformMap(k, v, v.size())",
		o + ".?spec.?containers.orValue([]).transformList(i, c, 'spec.containers[' + string(i) + ']')",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? [] : c.?ports.orValue([])).flatten().map(p, p.containerPort)",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? [] : c.?ports.orValue([])).flatten().exists(p, p.?hostPort.orValue(0) != 0)",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? 0 : c.?securityContext.?runAsUser.orValue(0)).sum()",
		o + ".?spec.?containers.orValue([]).all(c, c == null || quantity(c.?resources.?limits.?memory.orValue('0')).isLessThan(quantity('2Gi')))",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? '' : c.?image.orValue('')).filter(i, !i.contains('@sha256:') && (i.endsWith(':latest') || !i.contains(':')))",
		o + ".kind == 'Pod' ? " + o + ".?spec.?hostNetwork.orValue(false) : false",
		o + "[?'spec'][?'containers'].orValue([]).size()",
		o + ".?spec.?containers[?0].?name.orValue('')",
		o + ".?spec.?containers[?0].?securityContext.?capabilities.?add.orValue([]).all(c, c in ['NET_BIND_SERVICE'])",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? [] : c.?securityContext.?capabilities.?drop.orValue([])).all(d, 'ALL' in d)",
		"type(" + o + ")",
		"type(" + o + ".?spec.?replicas.orValue(null))",
		o + ".metadata.missing",
		o + ".metadata['name']",
		o + ".?metadata.?annotations.?note",
		"has(" + o + ".metadata.labels) && 'app' in " + o + ".metadata.labels",
		o + ".?spec.?containers.orValue([]).size() > 0 && " + o + ".spec.containers[0] == null",
		o + " == null ? 'none' : " + o + ".kind",
		o + ".?spec.orValue({}) == {}",
		o + ".?spec.?replicas.orValue(1) == 2",
		o + ".?spec.?replicas.orValue(1) == 2.0",
		"dyn(" + o + ").metadata.namespace in ['kube-system', 'kube-public']",
		"string(" + o + ".?spec.?replicas.orValue(0))",
		"int(" + o + ".?spec.?replicas.orValue(0))",
		o + ".?spec.?containers.orValue([]).map(c, c == null ? 0 : c.?securityContext.?runAsUser.orValue(0)).max()",
		o + ".?spec.?containers.orValue([]).exists_one(c, c != null && c.name == 'app')",
		o + ".?spec.?containers.orValue([]).transformMap(i, c, c == null ? '' : c.?name.orValue(''))",
		o + ".?metadata.?labels.orValue({}).transformMapEntry(k, v, {v: k})",
	})
}

// ---------------------------------------------------------------------------
// Targeted families: fixed shapes with edge values.

type family struct {
	name   string
	weight int
	make   func(g *gen) string
}

var families = []family{
	{"random", 30, func(g *gen) string { return g.expr(nTypes, 0) }}, // replaced in line()
	{"int-overflow", 4, func(g *gen) string {
		return g.pick([]string{
			"9223372036854775807 + " + g.pick([]string{"1", "0", "-1"}),
			"-9223372036854775808 - " + g.pick([]string{"1", "0", "-1"}),
			"-9223372036854775808 / -1", "-9223372036854775808 % -1", "-(-9223372036854775808)", "-9223372036854775807 - 1",
			"9223372036854775807 * 2", "3037000500 * 3037000500", "-3037000500 * 3037000500", "4611686018427387904 * 2",
			"i + 1", "i - 1", "i * i", "-i", "i / -1", "i % -1", "i / 0", "i % 0", "7 / -2", "-7 / 2", "-7 % 2", "7 % -2",
			"int(" + g.pick(doubleLits) + ")", "int(" + g.pick(uintLits) + ")", "int(" + celQuote(g.pick(stringVals)) + ")",
			"int(" + g.variable(tDouble) + ")", "int(" + g.variable(tUint) + ")", "int(" + g.variable(tString) + ")",
			"int(-9.223372036854775808e18)", "int(9.223372036854775807e18)", "int(-9.223372036854777856e18)",
			"int('9223372036854775808')", "int('-9223372036854775808')", "int('+1')", "int('0x10')", "int('1e3')",
			"int(' 1')", "int('1.0')", "int('-0')", "[9223372036854775807, 1].sum()", "[-9223372036854775808, -1].sum()",
			"int(timestamp('9999-12-31T23:59:59Z'))", "int(duration('-315576000000s'))", "i + j", "i * j", "i / j", "i % j",
		})
	}},
	{"uint-overflow", 3, func(g *gen) string {
		return g.pick([]string{
			"0u - 1u", "18446744073709551615u + 1u", "18446744073709551615u * 2u", "9223372036854775808u * 2u", "1u / 0u",
			"1u % 0u", "u - 1u", "u + 1u", "u * u", "u / 0u", "uint(-1)", "uint(" + g.pick(intLits) + ")", "uint(" + g.pick(doubleLits) + ")",
			"uint(" + celQuote(g.pick(stringVals)) + ")", "uint('-0')", "uint('18446744073709551616')", "uint('1u')",
			"uint(1.8446744073709552e19)", "uint(1.8446744073709550e19)", "uint(-0.5)", "uint(-1.0)", "uint(0.9)",
			"uint(" + g.variable(tInt) + ")", "uint(" + g.variable(tDouble) + ")", "[18446744073709551615u, 1u].sum()",
			"-1u", "1u + 1", "u == i", "u < i", "u > d", "18446744073709551615u > 9223372036854775807",
			"18446744073709551615u == 18446744073709551615.0", "18446744073709551615u < 1.8446744073709552e19",
		})
	}},
	{"double-special", 4, func(g *gen) string {
		return g.pick([]string{
			"double('NaN') == double('NaN')", "double('NaN') != double('NaN')", "double('NaN') < 1.0", "double('NaN') > 1.0",
			"double('NaN') <= double('NaN')", "[double('NaN')] == [double('NaN')]", "double('NaN') in [double('NaN')]",
			"{'a': double('NaN')} == {'a': double('NaN')}", "-0.0 == 0.0", "1.0 / 0.0", "-1.0 / 0.0", "0.0 / 0.0",
			"1e308 * 10.0", "-1e308 * 10.0", "5e-324 / 2.0", "string(double('inf'))", "string(double('-inf'))",
			"string(double('NaN'))", "string(-0.0)", "string(1e100)", "string(1e21)", "string(1e20)", "string(123456789.0)",
			"string(0.1 + 0.2)", "string(1.0)", "string(1e-7)", "string(100.0)", "string(5e-324)", "string(1.7976931348623157e308)",
			"double('1e400')", "double('-1e400')", "double('1e-400')", "double(' 1')", "double('0x10')", "double('1_000')",
			"double('inf')", "double('Inf')", "double('+inf')", "double('infinity')", "double('nan')", "double('-NaN')",
			"double('1.')", "double('.5')", "double('1e')", "double(9223372036854775807)", "double(18446744073709551615u)",
			"d == d", "d < 1.0", "d + 1.0", "d * 0.0", "string(d)", "int(d)", "uint(d)", "d > i", "d == u",
			"[1.0, double('NaN')].sort()", "[double('NaN'), 1.0].isSorted()", "[double('NaN'), 1.0].min()",
			"[double('NaN'), 1.0].max()", "[1.0, double('NaN')].max()", "[0.1, 0.2].sum()", "[1e308, 1e308].sum()",
			"math.greatest(double('NaN'), 1.0)", "math.least(1.0, double('NaN'))", "math.isNaN(d)", "math.ceil(d)",
			"double('NaN') == 1", "double('NaN') < 1", "double('NaN') < 1u", "1 == 1.0", "1u == 1.0", "1 == 1u",
			"9007199254740993 == 9007199254740992.0", "9007199254740993 > 9007199254740992.0", "9223372036854775807 == 9.223372036854775807e18",
			"9223372036854775807 < 9.223372036854775807e18", "-9223372036854775808 == -9.223372036854775808e18",
			"18446744073709551615u < 1.8446744073709552e19", "1.5 > 1", "1 < 1.5", "2u > 1.5", "-1 < 0u", "-1.0 < 0u",
			"{1: 'a'}[1.0]", "{1: 'a'}[1u]", "{1u: 'a'}[1]", "{1: 'a'}[1.5]", "1.0 in [1]", "1u in [1]", "1 in [1.0]",
			"[1, 2] == [1.0, 2.0]", "{'a': 1} == {'a': 1u}", "dyn(1) == dyn(1.0)", "dyn(1) < dyn(1.5)",
		})
	}},
	{"string-ext", 5, func(g *gen) string {
		s := celQuote(g.pick(stringVals))
		t := celQuote(g.pick(stringVals))
		n := g.pick([]string{"0", "1", "2", "3", "-1", "4", "5", "100", "9223372036854775807"})
		m := g.pick([]string{"0", "1", "2", "3", "-1", "4", "5"})
		return g.pick([]string{
			s + ".indexOf(" + t + ")", s + ".indexOf(" + t + ", " + n + ")", s + ".lastIndexOf(" + t + ")",
			s + ".lastIndexOf(" + t + ", " + n + ")", s + ".charAt(" + n + ")", s + ".substring(" + n + ")",
			s + ".substring(" + m + ", " + n + ")", s + ".replace(" + t + ", 'X')", s + ".replace(" + t + ", 'X', " + m + ")",
			s + ".replace('', '-')", s + ".split(" + t + ")", s + ".split(" + t + ", " + m + ")", s + ".split('')",
			s + ".lowerAscii()", s + ".upperAscii()", s + ".trim()", s + ".size()", "size(" + s + ")", s + " + " + t,
			s + " < " + t, s + " == " + t, s + ".contains(" + t + ")", s + ".startsWith(" + t + ")", s + ".endsWith(" + t + ")",
			"strings.quote(" + s + ")", "strings.quote('\\u00ff\\x01\\t\\'\"\\\\')", "[" + s + ", " + t + "].join(" + t + ")",
			"'abc'.indexOf('x', 4)", "'abc'.indexOf('', 3)", "'abc'.indexOf('', 4)", "'abc'.lastIndexOf('x', 5)",
			"'abc'.lastIndexOf('', 3)", "'abc'.lastIndexOf('c', -1)", "'abc'.charAt(3)", "'abc'.charAt(4)",
			"'abc'.substring(3)", "'abc'.substring(2, 1)", "'日本語'.substring(1, 2)", "'🙂a'.charAt(1)", "'🙂'.size()",
			"'e\u0301'.size()", "'abc'.reverse()", "'a'.repeat(3)", "'a' * 3", "'%s'.format('a')", "s.indexOf(t)",
			"s.lastIndexOf(t)", "s.charAt(j)", "s.substring(j)", "s.replace(t, '')", "s.split(t)", "s + t", "s < t",
			"s.trim()", "strings.quote(s)", "s.upperAscii()", "ls.join(s)", "s.size() > t.size()", "s.matches(t)",
			"string(b'\\xff')", "string(b'caf\\xc3\\xa9')", "string(bytes('日本'))", "bytes('ÿ').size()", "b'\\xff' < b'a'",
			"b'abc' + b'd'", "size(b'\\xff\\xfe')", "'\\u00e9' == 'é'", "'\\101' == 'A'", "r'\\n'.size()", "'''a\nb'''.size()",
			"\"a'b\" == 'a\\'b'", "'\\U0001F642' == '🙂'", "'İ'.lowerAscii()", "'ß'.upperAscii()", "'\\u00a0x\\u2003'.trim()",
		})
	}},
	{"format", 5, func(g *gen) string {
		if g.chance(0.15) {
			return g.pick([]string{"'%f'.format([3])", "'%s'.format([[1,'a',2.5]])", "'%s'.format([{'a':1}])",
				"'%.2f'.format([1234.5])", "'%e'.format([1234.5])", "'%s %s'.format(['a'])", "'%s'.format(['a', 'b'])",
				"'%d'.format([1.5])", "'%x'.format(['hello'])", "'%X'.format([b'\\xff'])", "'%b'.format([true])",
				"'%o'.format([-8])", "'%s'.format([x])", "'%d'.format([x])", "'%f'.format([x])", "'%.3f'.format([x])"})
		}
		f := celQuote(g.pick(formatStrs))
		if g.chance(0.1) {
			return f + ".format(" + g.pick([]string{"[s]", "[i]", "[d]", "[u]", "[l]", "[ls]", "[m]", "[b]", "[s, i]", "[d, d]"}) + ")"
		}
		return f + ".format(" + g.formatArgs(1) + ")"
	}},
	{"lists-ext", 5, func(g *gen) string {
		l := g.pick([]string{"[]", "[1, 2, 3]", "[3, 1, 2]", "[1, 1, 2, 2]", "[1, 2.0, 3u]", "['b', 'a', 'c']", "[[1], [2, [3]]]",
			"[true, false]", "[1, 'a']", "[duration('1s'), duration('1m')]", "[timestamp(0), timestamp(1)]", "[null, null]",
			"[[1], [1]]", "[{'a': 1}, {'a': 1}]", "[1.5, -0.0, 0.0]", "[b'b', b'a']", "l", "ls"})
		return g.pick([]string{
			l + ".slice(0, 1)", l + ".slice(1, 0)", l + ".slice(0, 5)", l + ".slice(-1, 1)", l + ".flatten()",
			l + ".flatten(1)", l + ".flatten(-1)", l + ".flatten(2)", l + ".distinct()", l + ".reverse()", l + ".sort()",
			l + ".first()", l + ".last()", l + ".isSorted()", l + ".sum()", l + ".min()", l + ".max()", l + ".indexOf(1)",
			l + ".lastIndexOf(1)", l + ".includes(1)", l + ".includes('a')", l + ".size()", l + " + " + l,
			l + ".sortBy(x, x)", l + ".sortBy(x, -x)", l + ".sortBy(x, string(x))", l + ".sortBy(x, 1)",
			"lists.range(" + g.pick([]string{"-1", "0", "1", "5", "1000"}) + ")", "lists.range(j)", "lists.range(i).size()",
			l + ".map(x, [x]).flatten()", l + "[0]", l + "[-1]", l + "[1u]", l + "[1.0]", l + "[?0]", l + "[?5]",
			l + "[?0].orValue(9)", "1 in " + l, "'a' in " + l, l + " == " + l, "[1, 2] == [2, 1]", "sets.contains(" + l + ", [1])",
			"sets.equivalent(" + l + ", [1, 2, 3])", "sets.intersects(" + l + ", [2, 'b'])", "sets.contains([1, 2], [1.0])",
			"sets.contains([], [])", "sets.equivalent([1, 1], [1])", "sets.intersects([], [1])", "sets.contains([[1]], [[1]])",
			"sets.contains(" + l + ", " + l + ")", "sets.equivalent([1u], [1.0])", "sets.intersects([{'a': 1}], [{'a': 1.0}])",
			"[1, 2, 3].all(i, v, v > i)", "[1, 2].exists(i, v, i == 1 && v == 2)", "[1, 1].existsOne(i, v, v == 1)",
			"[1, 2].transformList(i, v, i * v)", "[1, 2].transformList(i, v, i > 0, v)", "[1, 2].transformMap(i, v, v)",
			"{'a': 1}.transformMapEntry(k, v, {k + 'x': v})", "{'a': 1, 'b': 2}.transformMapEntry(k, v, {'same': v})",
			"{'a': 1}.transformMapEntry(k, v, {})", "{'a': 1}.transformMapEntry(k, v, {k: v, 'x': v})",
			"[3, 1, 2].sortBy(x, -x)", "['bb', 'a'].sortBy(s, s.size())", "[1, 2].sortBy(x, [x])", "[[2], [1]].sort()",
			"[1, 'a'].sort()", "['b', 'a'].sort()", "[2, 1.5].sort()",
		})
	}},
	{"regex", 3, func(g *gen) string {
		s := celQuote(g.pick(stringVals))
		re := celQuote(g.pick(regexes))
		return g.pick([]string{s + ".matches(" + re + ")", "matches(" + s + ", " + re + ")", s + ".find(" + re + ")",
			s + ".findAll(" + re + ")", s + ".findAll(" + re + ", " + g.pick([]string{"0", "1", "-1", "2"}) + ")",
			"s.matches(" + re + ")", "s.find(" + re + ")", "'aaa'.findAll('a*')", "'abc'.findAll('')", "'日本'.find('.')",
			"'a\\nb'.matches('^b$')", "'a\\nb'.matches('(?m)^b$')", "'ABC'.matches('(?i)abc')", "'x'.matches(s)"})
	}},
	{"optional", 5, func(g *gen) string {
		n := g.bind("n", map[string]any{"null": nil})
		_ = n
		return g.pick([]string{
			"n.?a.orValue('x')", "n[?'a']", "n.?a", "n.?a.?b", "n[?'a'].hasValue()", "optional.of(1).orValue(1/0)",
			"optional.of(1).or(optional.of(1/0))", "optional.none().orValue(1/0)", "optional.none().or(optional.of(2))",
			"optional.of(null)", "optional.of(null).hasValue()", "optional.ofNonZeroValue(null)", "optional.ofNonZeroValue([])",
			"optional.ofNonZeroValue({})", "optional.ofNonZeroValue(0.0)", "optional.ofNonZeroValue(-0.0)",
			"optional.ofNonZeroValue(false)", "optional.ofNonZeroValue(b'')", "optional.ofNonZeroValue(duration('0s'))",
			"optional.ofNonZeroValue(timestamp(0))", "optional.none().value()", "optional.of(1).value()", "optional.none() == optional.none()",
			"optional.of(1) == optional.of(1.0)", "optional.of(1) == optional.none()", "optional.none().hasValue()",
			"{'a': 1}.?a", "{'a': 1}.?b", "{'a': 1}[?'a']", "{'a': {'b': 2}}.?a.?b.orValue(0)", "[1, 2][?1]", "[1, 2][?2]",
			"[1, 2][?-1]", "{?'a': optional.none()}", "{?'a': optional.of(1)}", "[?optional.none(), ?optional.of(1)]",
			"[1, ?optional.ofNonZeroValue(0)]", "{'a': 1}.?a.optMap(x, x + 1)", "{'a': 1}.?b.optMap(x, x + 1)",
			"optional.of(1).optFlatMap(x, optional.none())", "optional.of(2).optFlatMap(x, optional.of(x * 2))",
			"optional.unwrap([optional.of(1), optional.none()])", "[optional.of(1), optional.none()].unwrapOpt()",
			"oi.orValue(0)", "oi.hasValue()", "oi.or(optional.of(7)).value()", "os.orValue('')", "os.optMap(s, s + '!')",
			"optional.of(1) != null", "optional.none() == null", "type(optional.none())", "type(optional.of(1)) == optional_type",
			"optional.of(optional.none()).hasValue()", "x.?a.orValue(1)", "x.?a", "o.?metadata.?name.orValue('')",
			"o.?spec.?containers[?0].?name", "l[?j]", "m[?s]", "m.?a", "{'a': null}.?a", "{'a': null}.?a.?b",
			"{'a': null}.?a.orValue(1)", "{1: 'x'}[?1]", "{1: 'x'}[?1.0]", "{1: 'x'}[?'1']", "{'a': [1]}.?a[?0]",
		})
	}},
	{"time", 6, func(g *gen) string {
		ts := "timestamp(" + celQuote(g.pick(timestampStrs)) + ")"
		tz := celQuote(g.pick(timeZones))
		acc := g.pick([]string{"getFullYear", "getMonth", "getDayOfYear", "getDate", "getDayOfMonth", "getDayOfWeek",
			"getHours", "getMinutes", "getSeconds", "getMilliseconds"})
		du := "duration(" + celQuote(g.pick(durationStrs)) + ")"
		return g.pick([]string{
			ts + "." + acc + "()", ts + "." + acc + "(" + tz + ")", "ts." + acc + "()", "ts." + acc + "(" + tz + ")",
			"string(" + ts + ")", "int(" + ts + ")", ts + " + " + du, ts + " - " + du, du + " + " + ts, ts + " - " + ts,
			ts + " < " + ts, ts + " == " + ts, "timestamp(" + celQuote(g.pick(badTimestampStrs)) + ")",
			"timestamp(" + g.pick([]string{"0", "-1", "253402300799", "253402300800", "-62135596800", "-62135596801", "i"}) + ")",
			"timestamp(s)", "string(timestamp('2024-01-01T10:00:00+02:00'))", "timestamp('2024-01-01T10:00:00+02:00') == timestamp('2024-01-01T08:00:00Z')",
			"timestamp('2024-01-01T00:00:00Z').getHours('')", "timestamp('9999-12-31T23:59:59Z') + duration('1s')",
			"timestamp('0001-01-01T00:00:00Z') - duration('1ns')", "timestamp('2024-01-01T00:00:00Z') - timestamp('0001-01-01T00:00:00Z')",
			"timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')", "ts + du", "ts - du", "ts - ts",
			"string(ts)", "int(ts)", "ts < timestamp('2024-01-01T00:00:00Z')", "[ts, timestamp(0)].sort()",
			"timestamp(ts)", "type(ts)", "ts.getDayOfWeek('America/New_York')", "timestamp(1.5)", "timestamp(1u)",
		})
	}},
	{"duration", 4, func(g *gen) string {
		du := "duration(" + celQuote(g.pick(durationStrs)) + ")"
		return g.pick([]string{
			du + ".getHours()", du + ".getMinutes()", du + ".getSeconds()", du + ".getMilliseconds()", "string(" + du + ")",
			"int(" + du + ")", du + " + " + du, du + " - " + du, du + " < " + du, du + " == " + du, "-" + du,
			du + " * 2", du + " / 2", "duration(" + celQuote(g.pick(badDurationStrs)) + ")", "duration(s)", "duration(i)",
			"du.getHours()", "du.getMinutes()", "du.getSeconds()", "du.getMilliseconds()", "string(du)", "int(du)",
			"du + du", "du - du", "du < duration('1h')", "[du, duration('1s')].sum()", "[du, duration('1s')].min()",
			"duration('315576000000s') + duration('1s')", "duration('-315576000000s') - duration('1s')",
			"duration('2562047h') + duration('2562047h')", "duration('1.5s') == duration('1500ms')", "string(duration('-1.5s'))",
			"string(duration('1h'))", "string(duration('1ns'))", "string(duration('100ms'))", "duration('-1.5s').getSeconds()",
			"duration('-1.5s').getMilliseconds()", "duration(du)", "type(du)", "duration('1h') > duration('59m')",
		})
	}},
	{"quantity", 4, func(g *gen) string {
		q := "quantity(" + celQuote(g.pick(quantityStrs)) + ")"
		p := "quantity(" + celQuote(g.pick(quantityStrs)) + ")"
		return g.pick([]string{
			q, "isQuantity(" + celQuote(g.pick(quantityStrs)) + ")", q + ".isGreaterThan(" + p + ")", q + ".isLessThan(" + p + ")",
			q + ".compareTo(" + p + ")", q + ".add(" + p + ")", q + ".sub(" + p + ")", q + ".add(" + g.pick(intLits) + ")",
			q + ".sub(" + g.pick([]string{"1", "-1", "9223372036854775807"}) + ")", q + ".asInteger()", q + ".asApproximateFloat()",
			q + ".isInteger()", "sign(" + q + ")", q + ".sign()", q + " == " + p, q + " < " + p, "string(" + q + ")",
			"quantity('1') == quantity('1000m')", "quantity('1Gi') == quantity('1073741824')", "quantity('1k') == quantity('1000')",
			"[" + q + ", " + p + "]", "type(" + q + ")", "sign(quantity('-5'))", "quantity('-5').sign()", "string(quantity('1'))",
			"quantity('9223372036854775807').add(1).asInteger()", "quantity('1e30').asInteger()", "quantity(s)", "isQuantity(s)",
		})
	}},
	{"url", 3, func(g *gen) string {
		u := "url(" + celQuote(g.pick(urlStrs)) + ")"
		return g.pick([]string{
			u + ".getScheme()", u + ".getHost()", u + ".getHostname()", u + ".getPort()", u + ".getEscapedPath()",
			u + ".getQuery()", "isURL(" + celQuote(g.pick(urlStrs)) + ")", u, "string(" + u + ")", "string(url('a:b'))",
			u + " == " + u, "type(" + u + ")", "url(s)", "isURL(s)", "url('https://a/b?x=1&x=2').getQuery()['x']",
		})
	}},
	{"ip-cidr", 4, func(g *gen) string {
		ip := "ip(" + celQuote(g.pick(ipStrs)) + ")"
		c := "cidr(" + celQuote(g.pick(cidrStrs)) + ")"
		return g.pick([]string{
			ip, "isIP(" + celQuote(g.pick(ipStrs)) + ")", "ip.isCanonical(" + celQuote(g.pick(ipStrs)) + ")", ip + ".family()",
			ip + ".isLoopback()", ip + ".isUnspecified()", ip + ".isGlobalUnicast()", ip + ".isLinkLocalMulticast()",
			ip + ".isLinkLocalUnicast()", "string(" + ip + ")", ip + " == " + ip, c, "isCIDR(" + celQuote(g.pick(cidrStrs)) + ")",
			c + ".prefixLength()", c + ".ip()", c + ".masked()", "string(" + c + ")", c + ".containsIP(" + celQuote(g.pick(ipStrs)) + ")",
			c + ".containsIP(" + ip + ")", c + ".containsCIDR(" + celQuote(g.pick(cidrStrs)) + ")", c + ".containsCIDR(" + c + ")",
			c + " == " + c, "type(" + ip + ")", "type(" + c + ")", "ip(s)", "isIP(s)", "cidr(s)", "isCIDR(s)",
		})
	}},
	{"k8s-format", 3, func(g *gen) string {
		name := g.pick(formatNames)
		sample := celQuote(g.pick(formatSamples))
		return g.pick([]string{
			"format." + name + "().validate(" + sample + ")", "format.named(" + celQuote(name) + ")",
			"format.named(" + celQuote(name) + ").hasValue()", "format.named(" + celQuote(name) + ").value().validate(" + sample + ")",
			"format." + name + "().validate(" + sample + ").hasValue()", "format." + name + "()", "type(format." + name + "())",
			"format." + name + "().validate(s)",
		})
	}},
	{"semver", 3, func(g *gen) string {
		v := celQuote(g.pick(semverStrs))
		w := celQuote(g.pick(semverStrs))
		return g.pick([]string{
			"isSemver(" + v + ")", "isSemver(" + v + ", true)", "isSemver(" + v + ", false)", "semver(" + v + ")",
			"semver(" + v + ", true)", "semver(" + v + ").major()", "semver(" + v + ").minor()", "semver(" + v + ").patch()",
			"semver(" + v + ").compareTo(semver(" + w + "))", "semver(" + v + ").isGreaterThan(semver(" + w + "))",
			"semver(" + v + ").isLessThan(semver(" + w + "))", "semver(" + v + ") == semver(" + w + ")", "type(semver('1.2.3'))",
			"semver(" + v + ", true).major()", "isSemver(s)", "semver(s)",
		})
	}},
	{"macros", 6, func(g *gen) string {
		l := g.pick([]string{"[]", "[1, 2, 3]", "[0, 1]", "[1, 0]", "[2, 2]", "l", "[-1, 1]"})
		mp := g.pick([]string{"{}", "{'a': 1, 'b': 0}", "{'a': 0}", "m"})
		return g.pick([]string{
			l + ".all(x, x > 0)", l + ".exists(x, x > 1)", l + ".exists_one(x, x > 0)", l + ".existsOne(x, x == 2)",
			l + ".map(x, x * 2)", l + ".filter(x, x % 2 == 1)", l + ".map(x, x > 0, x * 10)", l + ".all(x, 1 / x > 0)",
			l + ".exists(x, 1 / x == 1)", l + ".exists_one(x, 1 / x == 1)", l + ".map(x, 10 / x)", l + ".filter(x, 10 / x > 1)",
			l + ".all(i, x, i <= x)", l + ".exists(i, x, 1 / i == 1)", l + ".existsOne(i, x, x > i)",
			mp + ".all(k, " + mp + "[k] >= 0)", mp + ".exists(k, k == 'a')", mp + ".map(k, k + '!')", mp + ".filter(k, " + mp + "[k] > 0)",
			mp + ".all(k, v, v >= 0)", mp + ".exists(k, v, k == 'a' && v == 1)", mp + ".existsOne(k, v, v == 0)",
			mp + ".transformList(k, v, k + string(v))", mp + ".transformMap(k, v, v + 1)", mp + ".transformMap(k, v, v > 0, v)",
			"[1, 2].map(x, [1, 2].map(y, x * y))", "[[1, 2], [3]].map(l, l.size())", "[1, 2].all(x, [3].exists(y, y > x))",
			"'ab'.all(c, c == 'a')", "1.all(x, x)", "[1, 2].map(x, x).map(x, x)", "[1, 2].exists(x, x == 'a')",
			"[1, 'a'].exists(x, x == 'a')", "[1, 2].all(x, x)", "[true, false].filter(x, x)", "[1, 2].exists(x, x / 0 == 1) || true",
			"cel.bind(x, 1, x + 1)", "cel.bind(x, [1, 2], x.map(y, y * 2))", "cel.bind(a, 1, cel.bind(b, 2, a + b))",
			"has({'a': 1}.a)", "has({'a': 1}.b)", "has(o.metadata)", "has(o.spec.replicas)", "has(n.a)", "has(x.a)",
			"dyn([1, 2]).all(x, x > 0)", "lists.range(3).map(i, i * i)", "lists.range(300).map(x, lists.range(300).map(y, x * y)).size()", "lists.range(20000).map(x, x).size()",
			"lists.range(1000).map(x, lists.range(1000).size()).size()", "[1, 2, 3].map(x, x, x)",
		})
	}},
	{"logic-errors", 4, func(g *gen) string {
		e := g.pick([]string{"1 / 0 == 0", "'a' == dyn(1) + 1", "[1][2] == 1", "{}['a'] == 1", "int('x') == 1", "x.a == 1"})
		return g.pick([]string{
			e + " || true", "true || " + e, e + " && false", "false && " + e, e + " || false", "false || " + e,
			e + " && true", "true && " + e, "!(" + e + ")", "(" + e + ") ? 1 : 2", "true ? 1 : (" + e + " ? 2 : 3)",
			"[" + e + ", true].exists(x, x)", "[true, " + e + "].all(x, x)", "[false, " + e + "].all(x, x)",
			"(" + e + " || true) && (" + e + " || false)", "b || " + e, "b && " + e, e + " == " + e,
			"b ? 'a' : null", "b ? 1 : 'a'", "b ? [1] : ['a']", "b ? {} : null", "(b ? 1 : 2) + 1", "null == null",
			"null == 0", "null != []", "null == optional.none()", "dyn(null) == null", "null in [null]", "[null] == [null]",
			"{'a': null} == {'a': null}", "n == null", "n == 0", "n + 1", "size(n)", "n.a", "n[0]", "!n", "n ? 1 : 2",
		})
	}},
	{"literals", 4, func(g *gen) string {
		return g.pick([]string{
			"{'a': 'x', 'b': dyn(1)}", "{'path': 'p' + string(1), 'c': c}", "{'a': 1, 'b': 'x'}", "[1, 'a']", "[1, 1u, 1.0]",
			"[1, dyn('a')]", "[dyn(1), 'a']", "{'a': 1, 'a': 2}", "{1: 'a', 1u: 'b'}", "{1: 'a', 1.0: 'b'}", "{true: 1, 1: 2}",
			"{[1]: 1}", "{1.5: 'a'}", "{null: 1}", "{'a': [1], 'b': ['x']}", "[[1], ['a']]", "[{'a': 1}, {'b': 'x'}]",
			"[c, 1]", "[c, 'a']", "{'x': c, 'y': 1}", "{'x': 1, 'y': c}", "[null, 1]", "[1, null]", "{'a': null, 'b': 1}",
			"[optional.none(), optional.of(1)]", "[timestamp(0), duration('1s')]", "{'a': 1}.a", "{'a': 1}['a']",
			"{'a': 1}['b']", "{'a': 1}.b", "[1, 2, 3][3]", "[1, 2, 3][-1]", "[1, 2, 3][1u]", "[1, 2, 3][1.0]", "[1][1.5]",
			"cond ? 'a' : null", "cond ? null : 'a'", "cond ? 1 : 2.0", "cond ? [1] : []", "cond ? {'a': 1} : {}",
			"[cond ? 'a' : 'b', 'c']", "{'k': cond ? 1 : 2}", "0x1F", "0xffu", "1e3", "1E-3", ".5", "1.", "0.0e0",
			"'\\x41\\u0042\\U00000043\\103'", "b'\\x41\\101'", "r'\\x41'", "'''x'''", "\"\"\"y\"\"\"", "'a' 'b'",
		})
	}},
	{"types-dyn", 4, func(g *gen) string {
		return g.pick([]string{
			"type(1)", "type(1u)", "type(1.0)", "type('a')", "type(b'a')", "type(true)", "type(null)", "type([])", "type({})",
			"type(type(1))", "type(duration('1s'))", "type(timestamp(0))", "type(optional.none())", "type(o)", "type(x)",
			"type(1) == int", "int == type(1)", "type(1) == type(2)", "type(1) == uint", "type(type) == type", "type(dyn(1))",
			"type(int)", "string(type(1))", "type(1) in [int, uint]", "[int, string]", "{int: 1}", "dyn(1) + 1u", "dyn(1) + 1",
			"dyn(1) == 1u", "dyn('a') + 1", "dyn([1]) + [2]", "dyn({'a': 1}).a", "dyn(1).a", "dyn(null).a", "dyn([1, 'a'])[1]",
			"int(dyn(1.9))", "string(dyn(1))", "x + 1", "x == 1", "x.size()", "size(x)", "type(x) == map", "x[0]", "x['a']",
			"bool('true')", "bool('TRUE')", "bool('t')", "bool('1')", "bool('True')", "bool('yes')", "bool('F')", "bool(1)",
			"string(true)", "string(1u)", "string(-1)", "string(b'abc')", "bytes('abc')", "bytes(b'x')", "double(1u)",
			"uint(1.0)", "int(1.9)", "int(-1.9)", "uint(1.9)", "string(string('a'))", "google.protobuf.Timestamp",
			"int.size()", "null_type", "dyn", "optional_type", "list", "map",
		})
	}},
	{"json", 6, func(g *gen) string { return g.jsonExpr(1) }},
	{"not-in-vap", 2, func(g *gen) string {
		return g.pick([]string{
			"math.greatest(1, 2)", "math.least(1.0, 2.0)", "math.abs(-1)", "math.ceil(1.5)", "math.floor(1.5)",
			"math.round(2.5)", "math.trunc(-1.5)", "math.sign(-3)", "math.isInf(1.0 / 0.0)", "math.isFinite(1.0)",
			"math.bitAnd(3, 5)", "math.bitShiftLeft(1, 63)", "math.sqrt(4.0)", "cel.bind(a, 1, a)", "'abc'.reverse()",
			"base64.encode(b'a')", "strings.reverse('ab')", "[1, 2].sum()", "'a'.lastIndexOf('a')", "[3, 1].sort()",
			"'x'.quote()", "lists.range(3)", "[1].join()", "'a,b'.split(',')", "now", "request", "object", "variables",
		})
	}},
}

func (g *gen) line() (string, string) {
	total := 0
	for _, f := range families {
		total += f.weight
	}
	n := g.r.IntN(total)
	for _, f := range families {
		if n < f.weight {
			if f.name == "random" {
				t := gType(g.r.IntN(int(nTypes)))
				return "random-" + gTypeNames[t], g.expr(t, 1+g.r.IntN(3))
			}
			expr := f.make(g)
			// Names a fixed expression uses are bound here with edge values.
			g.bindNamesIn(expr)
			return f.name, expr
		}
		n -= f.weight
	}
	return "random-int", g.expr(tInt, 2)
}

// bindNamesIn binds the conventional variable names an expression of a family refers to.
func (g *gen) bindNamesIn(expr string) {
	has := func(name string) bool {
		for i := 0; i+len(name) <= len(expr); i++ {
			if expr[i:i+len(name)] != name {
				continue
			}
			before := i == 0 || !isIdentChar(expr[i-1]) && expr[i-1] != '.'
			after := i+len(name) == len(expr) || !isIdentChar(expr[i+len(name)])
			if before && after {
				return true
			}
		}
		return false
	}
	if has("i") {
		g.bind("i", g.intValue())
	}
	if has("j") {
		g.bind("j", g.smallInt())
	}
	for _, v := range []struct {
		name string
		t    gType
	}{{"u", tUint}, {"d", tDouble}, {"s", tString}, {"t", tString}, {"b", tBool}, {"n", tNull}, {"l", tListInt},
		{"ls", tListStr}, {"m", tMapStrInt}, {"ts", tTimestamp}, {"du", tDuration}, {"oi", tOptInt}, {"os", tOptStr}} {
		if has(v.name) {
			switch v.name {
			case "t":
				g.bind("t", g.strValue())
			case "s":
				g.bind("s", g.strValue())
			default:
				g.variable(v.t)
			}
		}
	}
	if has("o") {
		g.bindJSON("o", g.object())
	}
	if has("cond") {
		g.bind("cond", tBoolV(g.chance(0.5)))
	}
	if has("c") {
		g.bind("c", []any{tInt64(1), tStr("x"), map[string]any{"null": nil}, g.mapValue()}[g.r.IntN(4)])
	}
	if has("x") {
		// x: a value of any kind, for dynamic dispatch.
		vals := []any{g.intValue(), g.uintValue(), g.dblValue(), g.strValue(), tBoolV(true), map[string]any{"null": nil},
			g.listIntValue(), g.mapValue(), g.timestampValue(), g.durationValue(), g.bytesValue(),
			tList([]any{tInt64(1), tStr("a"), tDoubleV(2.5)})}
		g.bind("x", vals[g.r.IntN(len(vals))])
	}
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func generate(w io.Writer, seed uint64, count int) error {
	r := rand.New(rand.NewPCG(seed, 0x63656c2d6f72636c))
	enc := newEncoder(w)
	for i := 0; i < count; i++ {
		g := &gen{r: r, bindings: map[string]any{}, jsonBindings: map[string]any{}}
		cat, expr := g.line()
		out := map[string]any{"id": fmt.Sprintf("g%d", i+1), "category": cat, "expr": expr}
		if len(g.bindings) > 0 {
			out["bindings"] = g.bindings
		}
		if len(g.jsonBindings) > 0 {
			out["json_bindings"] = g.jsonBindings
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return nil
}
