//go:build panichook

package main

import "bytes"

// panicMarker: a plugin built with -tags panichook panics while it emits a message that holds this
// text, after its flush has taken a lane, so that a test can check that a panic in a flush goes no
// further than the entry point and that the next flush works. Production builds have no such hook.
const panicMarker = "siem-cef:panic-hook"

func panicHook(msg []byte) {
	if bytes.Contains(msg, []byte(panicMarker)) {
		panic("injected by the panichook build tag")
	}
}
