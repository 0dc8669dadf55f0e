// A stand-in for `helm template` used by test/deploy/helm-go.test.ts to check
// the TypeScript renderer (../lib/gotemplate.ts) against Go's own
// text/template and Sprig, with Helm's extra functions and its handling of
// missing values. Built only where a Go toolchain and Sprig are installed
// (Debian: golang-go golang-github-masterminds-sprig-dev
// golang-github-ghodss-yaml-dev); the test is skipped elsewhere.
//
// stdin: {"templates": {"templates/x.yaml": "..."}, "data": {...}}
// stdout: {"templates/x.yaml": {"text": "..."} or {"error": "..."}}
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/ghodss/yaml"
)

type input struct {
	Templates map[string]string      `json:"templates"`
	Data      map[string]interface{} `json:"data"`
}

type result struct {
	Text  string `json:"text,omitempty"`
	Error string `json:"error,omitempty"`
}

func main() {
	var in input
	dec := json.NewDecoder(os.Stdin)
	if err := dec.Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, fmt.Errorf(warn)
		} else if s, ok := val.(string); ok && s == "" {
			return val, fmt.Errorf(warn)
		}
		return val, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf(msg) }
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if includedNames[name] > 100 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
	t.Funcs(funcs)

	names := make([]string, 0, len(in.Templates))
	for name := range in.Templates {
		names = append(names, name)
	}
	sort.Strings(names)
	out := map[string]result{}
	for _, name := range names {
		if _, err := t.New(name).Parse(in.Templates[name]); err != nil {
			out[name] = result{Error: err.Error()}
		}
	}
	for _, name := range names {
		if _, failed := out[name]; failed || strings.HasPrefix(name[strings.LastIndex(name, "/")+1:], "_") {
			continue
		}
		data := map[string]interface{}{}
		for k, v := range in.Data {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": "cdn-cert-sync/" + name, "BasePath": "cdn-cert-sync/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			out[name] = result{Error: err.Error()}
			continue
		}
		out[name] = result{Text: strings.ReplaceAll(buf.String(), "<no value>", "")}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
