// Command plugin is the c-shared library out_siem_cef.so: the entry points Fluent Bit calls. This is
// the only cgo in the project; everything past the entry points is plain Go.
package main

/*
#include <stdint.h>
#include <stdlib.h>

// Fluent Bit's struct flb_api (flb_api.h). fluent-bit-go declares only its first member; logging
// needs log_print and output_log_check, so the whole layout is declared here.
struct siem_flb_api {
	const char *(*output_get_property)(const char *, void *);
	const char *(*input_get_property)(const char *, void *);
	void *(*output_get_cmt_instance)(void *);
	void *(*input_get_cmt_instance)(void *);
	void (*log_print)(int, const char *, int, const char *, ...);
	int (*input_log_check)(void *, int);
	int (*output_log_check)(void *, int);
	const char *(*custom_get_property)(const char *, void *);
	int (*custom_log_check)(void *, int);
};

struct siem_proxy_context { void *remote_context; };

// The head of struct flbgo_output_plugin (src/proxy/go/go.h).
struct siem_plugin {
	char *name;
	struct siem_flb_api *api;
	void *o_ins;
	struct siem_proxy_context *context;
};

static void *siem_api(void *plugin) { return ((struct siem_plugin *)plugin)->api; }
static void *siem_ins(void *plugin) { return ((struct siem_plugin *)plugin)->o_ins; }

// The instance's context is its number in the registry, not a Go pointer: Fluent Bit keeps it in C.
static void siem_set_context(void *plugin, uintptr_t id) {
	((struct siem_plugin *)plugin)->context->remote_context = (void *)id;
}
static uintptr_t siem_context_id(void *ctx) { return (uintptr_t)ctx; }

static int siem_log_enabled(void *api, void *ins, int level) {
	struct siem_flb_api *a = api;
	return a->output_log_check == NULL || a->output_log_check(ins, level);
}

// The message is an argument, never the format.
static void siem_log(void *api, int level, const char *msg) {
	((struct siem_flb_api *)api)->log_print(level, NULL, 0, "%s", msg);
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/filter"
)

const (
	pluginName        = "siem_cef"
	pluginDescription = "Container-security events as CEF over syslog to SIEMs"
)

// flbLogger writes through Fluent Bit's own logger, at the instance's log level.
type flbLogger struct {
	api, ins unsafe.Pointer
	prefix   string
}

func (l *flbLogger) Enabled(level int) bool {
	return C.siem_log_enabled(l.api, l.ins, C.int(level)) != 0
}

func (l *flbLogger) Log(level int, msg string) {
	if !l.Enabled(level) {
		return
	}
	cmsg := C.CString(l.prefix + msg)
	C.siem_log(l.api, C.int(level), cmsg)
	C.free(unsafe.Pointer(cmsg))
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) int {
	// A registration starts a configuration (first start or hot reload): Fluent Bit numbers the
	// instances of the new one from 0 again.
	instances.newGeneration()
	return output.FLBPluginRegister(def, pluginName, pluginDescription)
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) int {
	index := instances.nextIndex()
	defaultName := fmt.Sprintf("%s.%d", pluginName, index)
	props := config.GetterFunc(func(key string) string { return output.FLBPluginConfigKey(plugin, key) })
	log := &flbLogger{api: C.siem_api(plugin), ins: C.siem_ins(plugin)}
	cfg, err := config.Load(props, defaultName)
	if err != nil {
		log.prefix = "[" + pluginName + ":" + defaultName + "] "
		// One line per bad property, each with the instance's prefix.
		for _, line := range strings.Split(err.Error(), "\n") {
			log.Log(levelError, "invalid configuration, not starting: "+line)
		}
		return output.FLB_ERROR
	}
	log.prefix = "[" + pluginName + ":" + cfg.Integration + "] "
	if !startupCheck(cfg, log) {
		return output.FLB_ERROR
	}
	in := newInstance(cfg, log)
	C.siem_set_context(plugin, C.uintptr_t(instances.add(in)))
	log.Log(levelInfo, "started: "+cfg.String())
	log.Log(levelInfo, "filter: "+filter.New(cfg).String())
	return output.FLB_OK
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.size_t, tag *C.char) int {
	in := instances.get(uint64(C.siem_context_id(ctx)))
	if in == nil {
		// Fluent Bit flushed an instance that did not start: keep the chunk for a later try.
		fmt.Fprintf(os.Stderr, "[%s] flush for an unknown instance context %p; retrying\n", pluginName, ctx)
		return output.FLB_RETRY
	}
	// The chunk is read in place; nothing keeps a reference to it after the flush.
	return in.Flush(unsafe.Slice((*byte)(data), int(length)))
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) int {
	if in := instances.remove(uint64(C.siem_context_id(ctx))); in != nil {
		in.Close()
	}
	return output.FLB_OK
}

//export FLBPluginExit
func FLBPluginExit() int {
	for _, in := range instances.removeAll() {
		in.Close()
	}
	return output.FLB_OK
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	output.FLBPluginUnregister(def)
}

func main() {}
