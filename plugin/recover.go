package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kcs-siem/siem-cef/internal/logtext"
)

// recoverPanic is deferred by every exported function: a panic that reached Fluent Bit would kill
// the process, and the node's logs with it. It turns the panic into one error line, naming fn and
// where the panic started, and makes fn return code.
func recoverPanic(fn string, log logger, rc *int, code int) {
	p := recover()
	if p == nil {
		return
	}
	*rc = code
	log.Log(levelError, fmt.Sprintf("%s recovered from a panic at %s: %s", fn, panicSite(), logtext.Quote(fmt.Sprint(p))))
}

// projectPrefix starts the function names of the project's packages; the plugin's own are main's.
const projectPrefix = "github.com/kcs-siem/siem-cef/"

// panicSite is where the panic being recovered started, as dir/file.go:line: the innermost frame of
// the project's code below the panic, past the runtime's and the libraries' frames. It must be
// called from the deferred function that recovers.
func panicSite() string {
	pcs := make([]uintptr, 100)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	below := false // past the panic's own frame
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && (strings.HasPrefix(f.Function, projectPrefix) || strings.HasPrefix(f.Function, "main.")):
			return filepath.Join(filepath.Base(filepath.Dir(f.File)), filepath.Base(f.File)) + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return "an unknown place"
		}
	}
}
