// Package schema maps decoded records onto CEF events: records of the KCS-native schema (docs/events.md
// §6) and the events of Falco, Tetragon and Tracee, each mapped onto the same fields first.
package schema

import (
	"bytes"

	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
)

// Mapper maps the records of one integration onto CEF events. It keeps a buffer for the values it
// has to build (an image name from repository and tag, a command from binary and arguments), so
// it is not safe for concurrent use; the values it builds are valid until the next call.
type Mapper struct {
	// Severity replaces the type rules (and a sensor's priority) for the events it matches; a
	// record's own severity still wins.
	Severity product.Overrides
	// Schema is the integration's Schema setting; the zero value is auto.
	Schema Sensor
	// Assign are the integration's Set.<field> and Map.<field> settings, at most one per field.
	Assign []Assignment

	compiled []compiled
	d        draft
	buf      []byte // let go at the next record when a record grew it past maxKeptBuffer
}

// maxKeptBuffer: a hostile record's nested values can grow the buffer to 33 renderings of 16 KiB;
// a buffer grown past this is let go, so that the mapper does not keep the largest record's size
// (the pipeline maps an emptied record at the end of each run, so it is let go with the chunk).
const maxKeptBuffer = 64 << 10

// Map maps one record onto ev: the record's sensor is the integration's Schema, or, with auto, the
// one its fingerprint names (Detect), the KCS-native schema when none does. Values that cannot be
// used are appended to problems, which is returned.
func (m *Mapper) Map(rec *record.Event, ev *product.Event, problems []Problem) []Problem {
	sensor := m.Schema
	if sensor == SensorAuto {
		sensor = Detect(rec)
	}
	return m.mapAs(sensor, rec, ev, problems)
}

// KCS maps a record as a record of the KCS-native schema (docs/events.md §6), whatever its shape.
func (m *Mapper) KCS(rec *record.Event, ev *product.Event, problems []Problem) []Problem {
	return m.mapAs(SensorKCS, rec, ev, problems)
}

func (m *Mapper) mapAs(sensor Sensor, rec *record.Event, ev *product.Event, problems []Problem) []Problem {
	ev.Reset()
	ev.Time = rec.Time
	m.d.reset(ev)
	m.buf = m.buf[:0]
	if cap(m.buf) > maxKeptBuffer {
		m.buf = nil
	}
	d := &m.d
	switch sensor {
	case SensorFalco:
		m.falco(rec, d)
	case SensorTetragon:
		m.tetragon(rec, d)
	case SensorTracee:
		m.tracee(rec, d)
	default:
		m.kcs(rec, d)
	}
	m.assign(rec, d)
	kubernetesFilter(rec, d)
	return m.finish(d, ev, problems)
}

// kubernetesFilter reads the block Fluent Bit's kubernetes filter adds to a record read from a
// container log. It describes the pod that wrote the log, which for a sensor's events is the
// sensor's own pod, never the workload the event is about: only `host`, the node both run on, fills
// the node when the event has none, and `pod_name`, the sensor's pod, the source (docs/events.md §5: the
// pod name of the event source) when the event has none. Tracee's own `kubernetes` block (podName,
// podNamespace) has neither key, so it is never taken for the filter's.
func kubernetesFilter(rec *record.Event, d *draft) {
	if d.has(FieldNode) && d.has(FieldSource) || !rec.RecordHas(kcsKeys, slotKubernetes) {
		return // nothing left to fill, or no block
	}
	var host, pod record.Node
	getKeys(rec.RecordNode("kubernetes"), []string{"host", "pod_name"}, &host, &pod)
	if s, ok := host.Str(); ok {
		d.setBytes(FieldNode, s)
	}
	if s, ok := pod.Str(); ok {
		d.setBytes(FieldSource, s)
	}
}

// assign applies the integration's Map.<field> and Set.<field> settings: a Map path found in the
// record wins over what the source's mapping found, and a Set value over both when the path is
// missing (or there is none). A header field takes a string only, as from the record: any other
// value at its path counts as missing, as a string of blanks alone does for any field.
func (m *Mapper) assign(rec *record.Event, d *draft) {
	m.compile()
	for i := range m.compiled {
		a := &m.compiled[i]
		if a.path != nil {
			n := rec.FindPath(a.path)
			if headerFields&a.field.bit() != 0 && n.Kind() != record.NodeString {
				n = record.Node{}
			}
			if v := m.nodeValue(n); !v.IsZero() && !(v.Kind == record.KindString && product.Blank(v.Bytes)) {
				d.put(a.field, v)
				continue
			}
		}
		if !a.value.IsZero() {
			d.put(a.field, a.value)
		}
	}
}

// nodeValue is a node as a field value: a scalar as it is, a map or an array as compact JSON.
func (m *Mapper) nodeValue(n record.Node) record.Value {
	switch n.Kind() {
	case record.NodeMap, record.NodeArray:
		start := len(m.buf)
		m.buf = n.AppendJSON(m.buf)
		return record.String(m.buf[start:len(m.buf):len(m.buf)])
	}
	return n.Value()
}

// join builds a value from parts, separated by sep where both sides are not empty, in the mapper's
// buffer. The result is valid until the next record.
func (m *Mapper) join(sep string, parts ...[]byte) []byte {
	start := len(m.buf)
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if len(m.buf) > start {
			m.buf = append(m.buf, sep...)
		}
		m.buf = append(m.buf, p...)
	}
	return m.buf[start:len(m.buf):len(m.buf)]
}

// str is a node's string, with the "<NA>" Falco writes for a value it does not have taken as none.
func str(n record.Node) []byte {
	s, ok := n.Str()
	if !ok || string(s) == "<NA>" {
		return nil
	}
	return s
}

// scalar is a node's scalar value, "<NA>" taken as none.
func scalar(n record.Node) record.Value {
	v := n.Value()
	if v.Kind == record.KindString && (len(v.Bytes) == 0 || string(v.Bytes) == "<NA>") {
		return record.Value{}
	}
	return v
}

// getKeys reads several keys of a map in one walk: *vals[i] is the value of keys[i], the first
// when the key is repeated (as Get gives it; a Get for each key would walk the map again, measuring
// every value before its key). The walk ends when every key is found: the values after them are not
// measured. For a few keys; a sensor dispatches a map of many with a switch.
func getKeys(m record.Node, keys []string, vals ...*record.Node) {
	w := m.WalkPairs()
	walkKeys(&w, keys, vals...)
}

// enterKeys reads keys of the map at which w is, as getKeys does, and takes w back after the map:
// nothing of the map is measured twice.
func enterKeys(w *record.Walk, keys []string, vals ...*record.Node) {
	if outer, ok := w.EnterMap(); ok {
		walkKeys(w, keys, vals...)
		w.Leave(outer)
	}
}

// walkKeys is getKeys on a map's walk.
func walkKeys(w *record.Walk, keys []string, vals ...*record.Node) {
	for left := len(keys); left > 0; {
		k, ok := w.Key()
		if !ok {
			return
		}
		for i, key := range keys {
			if string(k) == key {
				if vals[i].Kind() == record.NodeAbsent {
					*vals[i] = w.Value()
					left--
				}
				break
			}
		}
	}
}

// firstKey reports the first time a key of a map is met, whose bit is key in *seen: for keys whose
// value is entered rather than kept, so that the first of a repeated key counts, whatever it holds.
func firstKey(seen *uint8, key uint8) bool {
	if *seen&key != 0 {
		return false
	}
	*seen |= key
	return true
}

// keepFirst puts v in *n unless n holds a value already: the first of a repeated key counts. It
// reports whether n holds a value then.
func keepFirst(n *record.Node, v record.Node) bool {
	if n.Kind() == record.NodeAbsent {
		*n = v
	}
	return n.Kind() != record.NodeAbsent
}

// runtimePrefixes are the container runtimes' prefixes of a container ID.
var runtimePrefixes = [...]string{"containerd://", "docker://", "cri-o://", "crio://", "podman://"}

// schemeEnd ends the runtime's scheme in a container ID. A package variable: built in the call, the
// slice escaped once bytes.Index was inlined in the profile-guided build, one allocation per event.
var schemeEnd = []byte("://")

// containerID drops a runtime prefix ("containerd://551e…" → "551e…").
func containerID(id []byte) []byte {
	for _, p := range runtimePrefixes {
		if len(id) > len(p) && string(id[:len(p)]) == p {
			return id[len(p):]
		}
	}
	if i := bytes.Index(id, schemeEnd); i >= 0 {
		return id[i+3:]
	}
	return id
}

// basename is the last element of a path.
func basename(p []byte) []byte {
	if i := bytes.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
		return p[i+1:]
	}
	return p
}

// Static values the mappings write; the encoder only reads them.
var (
	statusAudit   = []byte("Audit")
	statusEnforce = []byte("Enforce")
	statusOther   = []byte("Other")
)
