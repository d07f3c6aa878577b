package main

/*
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

// cmt_counter_create and cmt_counter_add as cmetrics declares them (cmetrics/cmt_counter.h in
// Fluent Bit 5.1.1), called through the addresses dlsym found in the fluent-bit binary: the plugin
// links no cmetrics of its own.
typedef void *(*siem_counter_create_fn)(void *cmt, char *ns, char *subsystem, char *name, char *help,
	int label_count, char **label_keys);
typedef int (*siem_counter_add_fn)(void *counter, uint64_t timestamp, double val, int labels_count,
	char **label_vals);

static void *siem_dlsym(const char *name) { return dlsym(RTLD_DEFAULT, name); }

static void *siem_counter_create(void *fn, void *cmt, char *name, char *help, int label_count, char **label_keys) {
	return ((siem_counter_create_fn)fn)(cmt, "fluentbit", "siem_cef", name, help, label_count, label_keys);
}

static int siem_counter_add(void *fn, void *counter, uint64_t timestamp, double val, int labels_count, char **label_vals) {
	return ((siem_counter_add_fn)fn)(counter, timestamp, val, labels_count, label_vals);
}
*/
import "C"

import (
	"time"
	"unsafe"

	"github.com/kcs-siem/siem-cef/config"
)

// cmtMetrics adds to the counters an instance registered in its cmetrics context. Every label set
// is made in C memory once, at init, so that an Add allocates nothing.
type cmtMetrics struct {
	add      unsafe.Pointer // cmt_counter_add
	counters [numSeries]unsafe.Pointer
	// labels are, per series and value of its second label, the label values cmetrics takes:
	// {name} or {name, value}.
	labels [numSeries]map[string]**C.char
	// allocated is every piece of C memory, for Close.
	allocated []unsafe.Pointer
}

// newCmtMetrics registers the instance's counters in the cmetrics context cmtInstance returns
// (api->output_get_cmt_instance), each of their series at 0. Where Fluent Bit has no metrics to
// offer, it says so in one line and returns noMetrics.
func newCmtMetrics(cmtInstance func() unsafe.Pointer, cfg *config.Config, log logger) metrics {
	create, add := symbol("cmt_counter_create"), symbol("cmt_counter_add")
	var cmt unsafe.Pointer
	// Fluent Bit sets output_get_cmt_instance only when built with metrics (flb_api.c) and leaves
	// it uninitialised otherwise; flb_output_get_cmt_instance is then missing from the binary.
	if create != nil && add != nil && symbol("flb_output_get_cmt_instance") != nil {
		cmt = cmtInstance()
	}
	if cmt == nil {
		log.Log(levelInfo, "metrics: this Fluent Bit exports no cmetrics (cmt_counter_create, cmt_counter_add, flb_output_get_cmt_instance); the counters are in the stats line only")
		return noMetrics{}
	}
	m := &cmtMetrics{add: add}
	name := m.cString(cfg.Integration)
	for s := range numSeries {
		info := seriesInfo[s]
		keys := []*C.char{m.cString("name")}
		if info.label != "" {
			keys = append(keys, m.cString(info.label))
		}
		m.counters[s] = C.siem_counter_create(create, cmt, m.cString(info.name), m.cString(info.help), C.int(len(keys)), m.cArray(keys))
		if m.counters[s] == nil {
			log.Log(levelWarn, "metrics: cmt_counter_create failed for fluentbit_siem_cef_"+info.name+"; it is in the stats line only")
			continue
		}
		m.labels[s] = map[string]**C.char{}
		for _, v := range labelValues(s, cfg) {
			vals := []*C.char{name}
			if info.label != "" {
				vals = append(vals, m.cString(v))
			}
			m.labels[s][v] = m.cArray(vals)
			m.Add(s, v, 0)
		}
	}
	return m
}

// symbol is the address of a function of the process (the fluent-bit binary exports its own), or nil.
func symbol(name string) unsafe.Pointer {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.siem_dlsym(cname)
}

func (m *cmtMetrics) cString(s string) *C.char {
	p := C.CString(s)
	m.allocated = append(m.allocated, unsafe.Pointer(p))
	return p
}

// cArray copies a list of C strings into C memory, where cmetrics may read it.
func (m *cmtMetrics) cArray(l []*C.char) **C.char {
	p := C.malloc(C.size_t(len(l)) * C.size_t(unsafe.Sizeof(l[0])))
	m.allocated = append(m.allocated, p)
	copy(unsafe.Slice((**C.char)(p), len(l)), l)
	return (**C.char)(p)
}

// Add adds n to the series; a label value that was not registered is not counted (deliver reports
// only configured addresses).
func (m *cmtMetrics) Add(s series, label string, n uint64) {
	vals, ok := m.labels[s][label]
	if !ok {
		return
	}
	count := 1
	if seriesInfo[s].label != "" {
		count = 2
	}
	C.siem_counter_add(m.add, m.counters[s], C.uint64_t(time.Now().UnixNano()), C.double(n), C.int(count), vals)
}

func (m *cmtMetrics) Close() {
	for _, p := range m.allocated {
		C.free(p)
	}
	m.allocated = nil
	m.labels = [numSeries]map[string]**C.char{}
}
