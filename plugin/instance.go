package main

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/kcs-siem/siem-cef/schema"
)

// Fluent Bit's log levels.
const (
	levelError = 1
	levelWarn  = 2
	levelInfo  = 3
	levelDebug = 4
)

// Return codes of a flush (flb_plugin.h).
const (
	flbError = 0
	flbOK    = 1
	flbRetry = 2
)

// logger is Fluent Bit's log for one instance; tests stand in for it.
type logger interface {
	Enabled(level int) bool
	Log(level int, msg string)
}

// batchBytes bounds the memory of a flush: encoded messages are written out in batches this large.
const batchBytes = 256 << 10

// warningsPerFlush bounds the warnings one flush logs, so a chunk of bad records cannot flood the
// log; the rest are counted in one line.
const warningsPerFlush = 5

// instance is one [OUTPUT] section: its configuration, its connection and the reusable buffers of
// the pipeline chunk → record → CEF event → line → connection.
type instance struct {
	cfg *config.Config
	log logger

	// mu serializes flushes: with Workers N, Fluent Bit flushes one instance from N threads, and two
	// flushes must never interleave bytes on the one connection.
	mu        sync.Mutex
	dec       *record.Decoder
	rec       record.Event
	ev        cef.Event
	problems  []schema.Problem
	mapper    schema.Mapper
	enc       *cef.Encoder
	batch     deliver.Batch
	transport deliver.Transport

	warnings int // logged or suppressed in the current flush
	stats    stats
}

// stats count what happened to the events of every flush since start.
type stats struct {
	sent, skipped, tooLarge, problems, retried uint64
}

func newInstance(cfg *config.Config, log logger) *instance {
	opt := deliver.Options{Address: cfg.Endpoint(), ConnectTimeout: cfg.ConnectTimeout, WriteTimeout: cfg.WriteTimeout}
	var t deliver.Transport
	if cfg.Protocol == config.UDP {
		t = deliver.NewUDP(opt)
	} else {
		t = deliver.NewTCP(opt)
	}
	return &instance{
		cfg:    cfg,
		log:    log,
		dec:    record.NewDecoder(),
		mapper: schema.Mapper{Severity: cfg.Severity},
		enc: cef.NewEncoder(cef.Header{
			Vendor: cfg.Vendor, Product: cfg.Product, Version: cfg.ProductVersion,
			Hostname: cfg.Hostname, Facility: cfg.Facility,
		}),
		batch:     deliver.Batch{Framing: t.Framing()},
		transport: t,
	}
}

// Flush delivers one chunk and tells Fluent Bit the truth: OK when every event was delivered, RETRY
// when the network failed (Fluent Bit sends the whole chunk again), ERROR when the chunk is damaged
// (a retry could not read it either; the events before the damage were delivered).
func (in *instance) Flush(chunk []byte) int {
	in.mu.Lock()
	defer in.mu.Unlock()

	in.dec.Reset(chunk)
	in.batch.Reset()
	in.warnings = 0
	defer in.reportSuppressed()
	sent := 0
	var damage error
	for {
		ok, err := in.dec.Next(&in.rec)
		if !ok {
			damage = err
			break
		}
		if err != nil {
			in.stats.skipped++
			in.warn(err.Error())
			continue
		}
		in.encode()
		if len(in.batch.Buf) >= batchBytes {
			if !in.send() {
				return flbRetry
			}
			sent += in.batch.Len()
			in.batch.Reset()
		}
	}
	if in.batch.Len() > 0 {
		if !in.send() {
			return flbRetry
		}
		sent += in.batch.Len()
	}
	in.stats.sent += uint64(sent)
	if damage != nil {
		in.log.Log(levelError, fmt.Sprintf("%v; the %d events before it were delivered, the rest of the chunk is dropped", damage, sent))
		return flbError
	}
	if in.log.Enabled(levelDebug) {
		in.log.Log(levelDebug, fmt.Sprintf("flush: %d events sent to %s", sent, in.cfg.Endpoint()))
	}
	return flbOK
}

// encode maps the current record and appends its message to the batch.
func (in *instance) encode() {
	in.problems = in.mapper.KCS(&in.rec, &in.ev, in.problems[:0])
	if len(in.problems) > 0 {
		in.stats.problems += uint64(len(in.problems))
		for _, p := range in.problems {
			in.warn(fmt.Sprintf("event at byte %d (%s): %s", in.rec.Offset, in.ev.ClassID, p))
		}
	}
	start := len(in.batch.Buf)
	in.batch.Buf = in.enc.Append(in.batch.Buf, &in.ev)
	if max := in.transport.MaxMessage(); max > 0 && len(in.batch.Buf)-start > max {
		in.stats.tooLarge++
		in.log.Log(levelError, fmt.Sprintf("event at byte %d (%s) is %d bytes, more than the %d a datagram can carry; not sent",
			in.rec.Offset, in.ev.ClassID, len(in.batch.Buf)-start, max))
		in.batch.Buf = in.batch.Buf[:start]
		return
	}
	in.batch.End(start)
}

func (in *instance) warn(msg string) {
	in.warnings++
	if in.warnings <= warningsPerFlush {
		in.log.Log(levelWarn, msg)
	}
}

func (in *instance) reportSuppressed() {
	if n := in.warnings - warningsPerFlush; n > 0 {
		in.log.Log(levelWarn, fmt.Sprintf("%d more warnings in this chunk not shown", n))
	}
}

func (in *instance) send() bool {
	if err := in.transport.Send(&in.batch); err != nil {
		in.stats.retried++
		in.log.Log(levelError, fmt.Sprintf("delivery failed, Fluent Bit will retry the chunk: %v", err))
		return false
	}
	return true
}

// Close waits for a flush in progress and releases the connection.
func (in *instance) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.transport.Close()
	s := in.stats
	in.log.Log(levelInfo, fmt.Sprintf("stopped: sent=%d skipped=%d too_large=%d field_problems=%d retried_flushes=%d; %d instances remain, %d goroutines",
		s.sent, s.skipped, s.tooLarge, s.problems, s.retried, instances.count(), runtime.NumGoroutine()))
}
