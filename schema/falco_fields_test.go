package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An output field given twice counts the last time, a text and a number alike, and a last "<NA>"
// leaves the field out; of the keys of a path, the first given counts.
func TestFalcoOutputFieldGivenTwice(t *testing.T) {
	alert := `{"rule":"Test rule","priority":"Notice","hostname":"node-1","time":"2026-03-12T09:40:51.100200300Z",
		"output":"2026-03-12T09:40:51.100200300+0000: Notice something happened (x=1)",
		"output_fields":{"evt.type":"openat","proc.name":"decoy","proc.name":"bash","proc.pid":1,"proc.pid":42,
			"user.name":"alice","user.name":"<NA>","evt.arg.path":"/first","evt.arg.pathname":"/second"}}`
	want := head + "FFM-001|File policy violation|5|dpid=42 act=open dproc=bash filePath=/first " +
		"cs2=node-1 cs2Label=Node name outcome=Audit msg=Test rule: something happened (x\\=1)"
	assert.Equal(t, want, cefLine(t, &Mapper{}, alert))
}

// A top-level key given twice counts the first time, output_fields too: Detect and the mapping
// read the same one. The first a map, the event is Falco's, mapped from it; the first a string, it
// is no Falco event, as without a map, and none of its keys is one of §6. (Through `log`, which
// keeps the record's order.)
func TestFalcoOutputFieldsGivenTwiceAtTheTop(t *testing.T) {
	fields := `{"evt.type":"execve","proc.pid":42}`
	first := `{"rule":"r","priority":"Warning","output":"o","output_fields":` + fields + `,"output_fields":"x"}`
	assert.Equal(t, head+"FPM-001|Process policy violation|6|dpid=42 act=exec outcome=Audit msg=r: o",
		cefLine(t, &Mapper{}, map[string]any{"log": first}))
	second := `{"rule":"r","priority":"Warning","output":"o","output_fields":"x","output_fields":` + fields + `}`
	assert.Equal(t, head+"UNKNOWN|Unknown event|5|", cefLine(t, &Mapper{}, map[string]any{"log": second}))
}

// Falco 0.41 and later leave output_fields out with json_include_output_fields_property off
// (falco userspace/engine/formats.cpp; falco.yaml suggests it to cut the volume): such an alert is
// still Falco's, mapped from what it has.
func TestFalcoAlertWithoutOutputFields(t *testing.T) {
	alert := `{"hostname":"worker-2","output":"2026-03-12T09:40:51.100200300+0000: Notice A shell was spawned | user=root","priority":"Notice","rule":"Terminal shell in container","source":"syscall","tags":["T1059"],"time":"2026-03-12T09:40:51.100200300Z"}`
	assert.Equal(t, SensorFalco, Detect(decodeBody(t, alert)))
	assert.Equal(t, head+"FPM-001|Process policy violation|5|cs2=worker-2 cs2Label=Node name outcome=Audit msg=Terminal shell in container: A shell was spawned | user\\=root",
		cefLine(t, &Mapper{}, alert))
}
