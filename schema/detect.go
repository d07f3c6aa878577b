package schema

import (
	"strings"

	"github.com/kcs-siem/siem-cef/record"
)

// Source is where a record comes from, which decides its mapping: an integration's Schema setting,
// or what Detect finds.
type Source uint8

// The sources. SourceAuto is the Schema setting that detects the source of each record.
const (
	SourceAuto Source = iota
	SourceKCS
	SourceFalco
	SourceTetragon
	SourceTracee
)

var sourceNames = [...]string{SourceAuto: "auto", SourceKCS: "kcs", SourceFalco: "falco", SourceTetragon: "tetragon", SourceTracee: "tracee"}

func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "auto"
}

// ParseSource reads a Schema setting, in any case.
func ParseSource(v string) (Source, bool) {
	for s, n := range sourceNames {
		if strings.EqualFold(v, n) {
			return Source(s), true
		}
	}
	return SourceAuto, false
}

// tetragonEvents are the top-level keys of Tetragon's JSON export that carry a process event.
var tetragonEvents = [...]string{
	"process_exec", "process_exit", "process_kprobe", "process_tracepoint", "process_uprobe",
	"process_lsm", "process_usdt",
}

// Detect names the source of a record by its fingerprint, looked for in the event's own fields
// (Body: the embedded event when there is one):
//   - Falco: an output_fields map together with rule and priority;
//   - Tetragon: one of the keys process_exec, process_exit, process_kprobe, process_tracepoint,
//     process_uprobe, process_lsm, process_usdt holding a map;
//   - Tracee: eventName together with hostProcessId.
//
// Anything else is a KCS-native record.
func Detect(rec *record.Event) Source {
	var outputFields, rule, priority, eventName, hostPID bool
	body := rec.Body()
	for i := range body {
		f := &body[i]
		switch string(f.Key) {
		case "output_fields":
			outputFields = f.Raw.Kind() == record.NodeMap
		case "rule":
			rule = true
		case "priority":
			priority = true
		case "eventName":
			eventName = true
		case "hostProcessId":
			hostPID = true
		default:
			if isTetragonEvent(f.Key) && f.Raw.Kind() == record.NodeMap {
				return SourceTetragon
			}
		}
	}
	switch {
	case outputFields && rule && priority:
		return SourceFalco
	case eventName && hostPID:
		return SourceTracee
	}
	return SourceKCS
}

func isTetragonEvent(key []byte) bool {
	if len(key) < len("process_") || string(key[:len("process_")]) != "process_" {
		return false
	}
	for _, k := range tetragonEvents {
		if string(key) == k {
			return true
		}
	}
	return false
}
