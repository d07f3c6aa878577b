package schema

import (
	"strings"

	"github.com/kcs-siem/siem-cef/record"
)

// Sensor is what wrote a record (Falco, Tetragon, Tracee, or the product: the KCS-native schema),
// which decides its mapping: an integration's Schema setting, or what Detect finds.
type Sensor uint8

// The sensors. SensorAuto is the Schema setting that detects the sensor of each record.
const (
	SensorAuto Sensor = iota
	SensorKCS
	SensorFalco
	SensorTetragon
	SensorTracee
)

var sensorNames = [...]string{SensorAuto: "auto", SensorKCS: "kcs", SensorFalco: "falco", SensorTetragon: "tetragon", SensorTracee: "tracee"}

func (s Sensor) String() string {
	if int(s) < len(sensorNames) {
		return sensorNames[s]
	}
	return "auto"
}

// ParseSensor reads a Schema setting, in any case.
func ParseSensor(v string) (Sensor, bool) {
	for s, n := range sensorNames {
		if strings.EqualFold(v, n) {
			return Sensor(s), true
		}
	}
	return SensorAuto, false
}

// tetragonEvents are the top-level keys of Tetragon's JSON export that carry a process event.
var tetragonEvents = [...]string{
	"process_exec", "process_exit", "process_kprobe", "process_tracepoint", "process_uprobe",
	"process_lsm", "process_usdt",
}

// Detect names the sensor of a record by its fingerprint, looked for in the event's own fields
// (Body: the embedded event when there is one):
//   - Falco: an output_fields map together with rule and priority;
//   - Tetragon: one of the keys process_exec, process_exit, process_kprobe, process_tracepoint,
//     process_uprobe, process_lsm, process_usdt holding a map;
//   - Tracee: eventName together with hostProcessId.
//
// Anything else is a KCS-native record.
func Detect(rec *record.Event) Sensor {
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
				return SensorTetragon
			}
		}
	}
	switch {
	case outputFields && rule && priority:
		return SensorFalco
	case eventName && hostPID:
		return SensorTracee
	}
	return SensorKCS
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
