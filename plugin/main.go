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

// The instance's cmetrics context (struct cmt *), or NULL.
static void *siem_cmt_instance(void *api, void *ins) {
	struct siem_flb_api *a = api;
	return a->output_get_cmt_instance == NULL ? NULL : a->output_get_cmt_instance(ins);
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
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	cmsg := C.CString(l.prefix + oneLine(msg))
	C.siem_log(l.api, C.int(level), cmsg)
	C.free(unsafe.Pointer(cmsg))
}

// oneLine escapes, Go style, what could end a log line or move the operator's terminal: control
// characters, invalid UTF-8 (an 8-bit terminal takes byte 0x9b for an escape sequence), line and
// paragraph separators and format characters (bidi controls). Record text is quoted where it is
// logged (logtext.Quote); this is the defence behind it, for text nobody thought came from outside.
func oneLine(msg string) string {
	i := strings.IndexFunc(msg, unsafeInLog)
	if i < 0 {
		return msg
	}
	b := []byte(msg[:i])
	for i < len(msg) {
		r, size := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[msg[i]>>4], "0123456789abcdef"[msg[i]&15])
		case unsafeInLog(r):
			q := strconv.QuoteRuneToASCII(r) // '\n', '\x1b', '\u2028'
			b = append(b, q[1:len(q)-1]...)
		default:
			b = append(b, msg[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// unsafeInLog is a rune oneLine escapes; invalid UTF-8 ranges over as utf8.RuneError.
func unsafeInLog(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// stderrLog is the log of the entry points that have no instance: the process's standard error,
// where Fluent Bit writes too.
type stderrLog struct{}

func (stderrLog) Enabled(int) bool { return true }

func (stderrLog) Log(level int, msg string) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", pluginName, oneLine(msg))
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (rc int) {
	defer recoverPanic("FLBPluginRegister", stderrLog{}, &rc, -1) // -1: Fluent Bit refuses the registration
	// A registration starts a configuration (first start or hot reload): Fluent Bit numbers the
	// instances of the new one from 0 again.
	instances.newGeneration()
	return output.FLBPluginRegister(def, pluginName, pluginDescription)
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (rc int) {
	index := instances.nextIndex()
	defaultName := fmt.Sprintf("%s.%d", pluginName, index)
	log := &flbLogger{api: C.siem_api(plugin), ins: C.siem_ins(plugin), prefix: "[" + pluginName + ":" + defaultName + "] "}
	defer recoverPanic("FLBPluginInit", log, &rc, output.FLB_ERROR)
	props := config.GetterFunc(func(key string) string { return output.FLBPluginConfigKey(plugin, key) })
	cfg, err := config.Load(props, defaultName)
	if err != nil {
		// One line per bad property, each with the instance's prefix.
		for _, line := range strings.Split(err.Error(), "\n") {
			log.Log(levelError, "invalid configuration, not starting: "+line)
		}
		return output.FLB_ERROR
	}
	log.prefix = "[" + pluginName + ":" + cfg.Integration + "] "
	if instances.claim(cfg.Integration) {
		log.Log(levelWarn, "another siem_cef output has this Integration: their log lines cannot be told apart and their metrics overwrite each other; give each output an Integration of its own")
	}
	if !startupCheck(cfg, log) {
		return output.FLB_ERROR
	}
	cmtInstance := func() unsafe.Pointer { return C.siem_cmt_instance(log.api, log.ins) }
	in := newInstance(cfg, log, newCmtMetrics(cmtInstance, cfg, log))
	C.siem_set_context(plugin, C.uintptr_t(instances.add(in)))
	log.Log(levelInfo, "started: "+cfg.String())
	log.Log(levelInfo, "filter: "+filter.New(cfg.Selection).String())
	return output.FLB_OK
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.size_t, tag *C.char) int {
	return flushCtx(uint64(C.siem_context_id(ctx)), data, uint64(length))
}

// flushCtx is FLBPluginFlushCtx in Go's types, for the tests.
func flushCtx(id uint64, data unsafe.Pointer, length uint64) (rc int) {
	in := instances.get(id)
	if in == nil {
		// Fluent Bit flushed an instance that did not start: keep the chunk for a later try.
		stderrLog{}.Log(levelError, fmt.Sprintf("flush for an unknown instance context %d; retrying", id))
		return output.FLB_RETRY
	}
	// A panic in a flush is most likely due to the chunk, and a retry may well panic again: but the
	// events are kept, for a fixed plugin or Retry_Limit to decide, and the lane is new.
	defer recoverPanic("FLBPluginFlushCtx", in.log, &rc, output.FLB_RETRY)
	// The chunk is read in place; nothing keeps a reference to it after the flush.
	return in.Flush(unsafe.Slice((*byte)(data), length))
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (rc int) {
	defer recoverPanic("FLBPluginExitCtx", stderrLog{}, &rc, output.FLB_ERROR)
	if in := instances.remove(uint64(C.siem_context_id(ctx))); in != nil {
		in.Close()
	}
	return output.FLB_OK
}

//export FLBPluginExit
func FLBPluginExit() (rc int) {
	defer recoverPanic("FLBPluginExit", stderrLog{}, &rc, output.FLB_ERROR)
	for _, in := range instances.removeAll() {
		in.Close()
	}
	return output.FLB_OK
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	var ignored int // Fluent Bit expects nothing back
	defer recoverPanic("FLBPluginUnregister", stderrLog{}, &ignored, 0)
	output.FLBPluginUnregister(def)
}

func main() {}
