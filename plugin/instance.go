package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kcs-siem/siem-cef/config"
	"github.com/kcs-siem/siem-cef/deliver"
	"github.com/kcs-siem/siem-cef/pipeline"
	"github.com/kcs-siem/siem-cef/record"
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

// instance is one [OUTPUT] section: its configuration, its pipeline and its connection.
type instance struct {
	cfg *config.Config
	log logger

	// mu serializes flushes: with Workers N, Fluent Bit flushes one instance from N threads, and two
	// flushes must never interleave bytes on the one connection.
	mu        sync.Mutex
	pipe      *pipeline.Pipeline
	batch     deliver.Batch
	transport deliver.Transport
	warnings  int // logged or suppressed in the current flush
	sentNow   int // delivered in the current flush
	stats     stats
	lastStats time.Time
	now       func() time.Time
}

// stats count what happened to the events of every flush since start.
type stats struct {
	sent, filtered, skipped, tooLarge, problems, retried uint64
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
		cfg:       cfg,
		log:       log,
		pipe:      pipeline.New(cfg),
		batch:     deliver.Batch{Framing: t.Framing()},
		transport: t,
		lastStats: time.Now(),
		now:       time.Now,
	}
}

// startupCheck is the product's Test connection, made at start as Startup_Check says. It returns
// false when the instance must not start.
func startupCheck(cfg *config.Config, log logger) bool {
	if cfg.StartupCheck == config.CheckOff {
		return true
	}
	p := deliver.TestConnection(string(cfg.Protocol), cfg.Endpoint(), cfg.ConnectTimeout)
	switch {
	case p.Err == nil:
		log.Log(levelInfo, "startup check: "+p.String())
	case cfg.StartupCheck == config.CheckFail:
		log.Log(levelError, "startup check: "+p.String()+"; not starting (Startup_Check fail)")
		return false
	default:
		log.Log(levelWarn, "startup check: "+p.String()+"; starting anyway, Fluent Bit keeps the events until it is reachable")
	}
	return true
}

// Flush delivers one chunk and tells Fluent Bit the truth: OK when every event was delivered (or
// filtered out), RETRY when the network failed (Fluent Bit sends the whole chunk again), ERROR when
// the chunk is damaged (a retry could not read it either; the events before the damage were
// delivered).
func (in *instance) Flush(chunk []byte) int {
	in.mu.Lock()
	defer in.mu.Unlock()

	in.batch.Reset()
	in.warnings, in.sentNow = 0, 0
	defer in.reportSuppressed()
	defer in.reportStats()
	st, err := in.pipe.Run(chunk, in.emit, in.warn)
	in.stats.filtered += uint64(st.Filtered)
	in.stats.skipped += uint64(st.Skipped)
	in.stats.problems += uint64(st.Problems)
	var damage *record.ChunkError
	if err != nil && !errors.As(err, &damage) {
		return in.failed(err)
	}
	if in.batch.Len() > 0 {
		if err := in.send(); err != nil {
			return in.failed(err)
		}
	}
	if damage != nil {
		in.log.Log(levelError, fmt.Sprintf("%v; the %d events before it were delivered, the rest of the chunk is dropped", damage, in.sentNow))
		return flbError
	}
	if in.log.Enabled(levelDebug) {
		in.log.Log(levelDebug, fmt.Sprintf("flush: %d events sent to %s, %d filtered out", in.sentNow, in.cfg.Endpoint(), st.Filtered))
	}
	return flbOK
}

// emit frames one message into the batch and writes the batch out when it is full.
func (in *instance) emit(msg []byte) error {
	if max := in.transport.MaxMessage(); max > 0 && len(msg) > max {
		in.stats.tooLarge++
		in.log.Log(levelError, fmt.Sprintf("a %d-byte message is more than the %d a datagram can carry; not sent: %.120s…", len(msg), max, msg))
		return nil
	}
	start := len(in.batch.Buf)
	in.batch.Buf = append(in.batch.Buf, msg...)
	in.batch.End(start)
	if len(in.batch.Buf) < batchBytes {
		return nil
	}
	if err := in.send(); err != nil {
		return err
	}
	in.batch.Reset()
	return nil
}

func (in *instance) send() error {
	err := in.transport.Send(&in.batch)
	if err == nil {
		in.sentNow += in.batch.Len()
		in.stats.sent += uint64(in.batch.Len())
	}
	return err
}

func (in *instance) failed(err error) int {
	in.stats.retried++
	in.log.Log(levelError, fmt.Sprintf("delivery failed, Fluent Bit will retry the chunk: %v", err))
	return flbRetry
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

// reportStats logs the counters at the first flush after each Stats_Interval: no timer, so an idle
// instance costs nothing and leaves no goroutine behind.
func (in *instance) reportStats() {
	if in.cfg.StatsInterval == 0 || in.now().Sub(in.lastStats) < in.cfg.StatsInterval {
		return
	}
	in.lastStats = in.now()
	in.log.Log(levelInfo, "stats: "+in.stats.String())
}

func (s stats) String() string {
	return fmt.Sprintf("sent=%d filtered=%d skipped=%d too_large=%d field_problems=%d retried_flushes=%d",
		s.sent, s.filtered, s.skipped, s.tooLarge, s.problems, s.retried)
}

// Close waits for a flush in progress and releases the connection.
func (in *instance) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.transport.Close()
	in.log.Log(levelInfo, fmt.Sprintf("stopped: %s; %d instances remain, %d goroutines", in.stats, instances.count(), runtime.NumGoroutine()))
}
