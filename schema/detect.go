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
	"process_lsm", "process_usdt", "process_loader",
}

// The keys of the fingerprints, in the order of fingerprints: Keys holds them after the names of the
// KCS-native fields, so that Detect reads a key's slot instead of comparing its name.
const (
	fpOutputFields = iota
	fpRule
	fpPriority
	fpEventName
	fpHostProcessID
	fpTetragonEvent // the first of tetragonEvents
	fpLast          = fpTetragonEvent + len(tetragonEvents) - 1
)

var fingerprints = append([]string{"output_fields", "rule", "priority", "eventName", "hostProcessId"}, tetragonEvents[:]...)

// fingerprint is the index in fingerprints of the key of f, a field of rec, or a negative number
// when it is none of them.
func fingerprint(rec *record.Event, f *record.Field) int {
	if fp := rec.Slot(kcsKeys, f) - len(kcsNames); fp < len(fingerprints) { // NoSlot is negative
		return fp
	}
	return -1 // one of recordKeys, or a sensor's key
}

// bodyHas reports an event whose own fields have the key of a fingerprint from first to last.
func bodyHas(rec *record.Event, first, last int) bool {
	return rec.BodyHasAny(kcsKeys, len(kcsNames)+first, len(kcsNames)+last)
}

// isTetragonEvent reports a field that carries a Tetragon event: one of tetragonEvents holding a map.
func isTetragonEvent(rec *record.Event, f *record.Field) bool {
	return fingerprint(rec, f) >= fpTetragonEvent && f.Raw.Kind() == record.NodeMap
}

// Detect names the sensor of a record by its fingerprint, looked for in the event's own fields
// (Body: the embedded event when there is one):
//   - Tetragon: one of the keys process_exec, process_exit, process_kprobe, process_tracepoint,
//     process_uprobe, process_lsm, process_usdt holding a map;
//   - else Falco: rule and priority, with an output_fields map (the first of the key, which the
//     mapping reads) or none (json_include_output_fields_property off, Falco 0.41 and later);
//   - else Tracee: eventName together with hostProcessId.
//
// Anything else is a KCS-native record. The keys are told by the slots of the event's fields:
// only Tetragon's events and output_fields are looked for among the fields, for their values.
func Detect(rec *record.Event) Sensor {
	if !bodyHas(rec, 0, fpLast) {
		return SensorKCS
	}
	body := rec.Body()
	if bodyHas(rec, fpTetragonEvent, fpLast) {
		for i := range body {
			if isTetragonEvent(rec, &body[i]) {
				return SensorTetragon
			}
		}
	}
	if bodyHas(rec, fpRule, fpRule) && bodyHas(rec, fpPriority, fpPriority) {
		outputFields := len(kcsNames) + fpOutputFields // its slot, compared without a call per field
		i := 0
		for i < len(body) && rec.Slot(kcsKeys, &body[i]) != outputFields {
			i++
		}
		// none: Falco 0.41 and later can leave output_fields out
		if i == len(body) || body[i].Raw.Kind() == record.NodeMap {
			return SensorFalco
		}
	}
	if bodyHas(rec, fpEventName, fpEventName) && bodyHas(rec, fpHostProcessID, fpHostProcessID) {
		return SensorTracee
	}
	return SensorKCS
}
