package main

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
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
// 1 MiB batches saved host CPU within the noise, and cost 0.75 MiB more resident per lane.
const batchBytes = 256 << 10

// warningsPerFlush bounds the messages about single events one flush logs, so a chunk of bad
// records cannot flood the log; the rest are counted in one line.
const warningsPerFlush = 5

// maxLanes bounds the connections of one instance. With Workers N, Fluent Bit runs up to N flushes
// of an instance at once; each takes a lane (its own pipeline and connection), so two flushes never
// interleave bytes on one connection. Fluent Bit keeps Workers from the plugin, so lanes are made
// on demand, up to this many; a flush beyond it waits for a free lane.
const maxLanes = 8

// instance is one [OUTPUT] section: its configuration and its lanes.
type instance struct {
	cfg   *config.Config
	log   logger
	idle  chan *lane
	mu    sync.Mutex // guards lanes, stats, metrics and lastStats
	lanes []*lane
	stats stats
	// metrics count what stats count, in Fluent Bit's Prometheus endpoint (metrics.go).
	metrics metrics
	// lastStats is when the counters were last logged.
	lastStats time.Time
	now       func() time.Time
	// ceiling is Max_Events_Per_Second's bucket, shared by the lanes; nil without it.
	ceiling *pipeline.Ceiling
}

// lane is what one flush in flight needs: the pipeline's buffers and a connection.
type lane struct {
	pipe      *pipeline.Pipeline
	batch     deliver.Batch
	transport deliver.Transport
	address   string // the address the connection went to last, to log a failover
	start     time.Time
	written   int // bytes of the current flush handed to the transport, which its deadline follows
	warnings  int // logged or suppressed in the current flush
	sent      int // delivered in the current flush
	// unconfirmed are the events of the current flush that its transport took but delivers only
	// once Confirm returns nil (tcp, tls); they are added to sent then.
	unconfirmed int
	rejected    int // refused for good by the SIEM in the current flush
	// addressChanges are the connections of the current flush that went to another address than
	// the lane's connection before.
	addressChanges int
	// closedInARow counts the last flushes in a row that found the connection closed by the SIEM.
	closedInARow int
}

func newInstance(cfg *config.Config, log logger, m metrics) *instance {
	return &instance{cfg: cfg, log: log, metrics: m, idle: make(chan *lane, maxLanes), lastStats: time.Now(), now: time.Now,
		ceiling: pipeline.NewCeiling(cfg)}
}

// startupCheck is the product's Test connection, made at start as Startup_Check says, to every
// address. It returns false when the instance must not start.
func startupCheck(cfg *config.Config, log logger) bool {
	if cfg.TLS != nil && !cfg.TLS.Verify {
		log.Log(levelWarn, "TLS_Verify is off: the SIEM's certificate is not checked, and anyone on the path can read and change the events")
	}
	if cfg.StartupCheck == config.CheckOff {
		return true
	}
	reachable := 0
	for _, p := range deliver.TestConnections(&cfg.Settings, cfg.ConnectTimeout) {
		switch {
		case p.Err == nil:
			reachable++
			log.Log(levelInfo, "startup check: "+p.String())
		case cfg.StartupCheck == config.CheckFail:
			log.Log(levelError, "startup check: "+p.String())
		default:
			log.Log(levelWarn, "startup check: "+p.String()+"; starting anyway: Fluent Bit keeps the events until it is reachable only with Retry_Limit no_limits (and storage.type filesystem across restarts)")
		}
	}
	if cfg.StartupCheck == config.CheckFail && cfg.Protocol.Stream() && reachable == 0 {
		log.Log(levelError, "startup check: no address of the SIEM is reachable; not starting (Startup_Check fail)")
		return false
	}
	return true
}

// acquire takes an idle lane, makes one while fewer than maxLanes exist, or waits for one.
func (in *instance) acquire() *lane {
	select {
	case l := <-in.idle:
		return l
	default:
	}
	if l := in.addLane(); l != nil {
		return l
	}
	return <-in.idle
}

// addLane makes a lane, or returns nil when maxLanes exist.
func (in *instance) addLane() *lane {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.lanes) == maxLanes {
		return nil
	}
	l := in.newLane()
	in.lanes = append(in.lanes, l)
	return l
}

// framingBytes is the most framing adds to a message: an octet count of up to 7 digits and a space.
const framingBytes = 8

func (in *instance) newLane() *lane {
	t := deliver.New(&in.cfg.Settings)
	deliver.OnConnectFailure(t, in.connectFailed)
	// The batch is made as large as it gets at once (a full batch, one message and its framing), so
	// that it does not grow through copies that the heap keeps until a collection (there may be
	// none: the plugin allocates nothing per event).
	buf := make([]byte, 0, batchBytes+in.cfg.MaxMessageSize+framingBytes)
	pipe := pipeline.NewLane(in.cfg, in.ceiling)
	pipe.LimitWarnings(warningsPerFlush) // the rest are counted, never written
	return &lane{pipe: pipe, batch: deliver.Batch{Framing: t.Framing(), Buf: buf}, transport: t}
}

// discard replaces the lane of a flush that panicked: its buffers and its connection may be in any
// state. The new lane is in place before the old connection is closed, so that even a panic in
// Close leaves maxLanes lanes for the waiting flushes and for Close.
func (in *instance) discard(l *lane) {
	fresh := in.newLane()
	in.mu.Lock()
	in.lanes[slices.Index(in.lanes, l)] = fresh
	in.add(stats{statRetriedFlushes: 1})
	in.mu.Unlock()
	in.idle <- fresh
	l.transport.Close()
}

// Flush delivers one chunk and tells Fluent Bit the truth: OK when every event was delivered (or
// filtered out, or refused for good by the SIEM), RETRY when the network failed (Fluent Bit sends
// the whole chunk again), ERROR when the chunk is damaged (a retry could not read it either; the
// events before the damage were delivered). A panic goes on to the entry point, which recovers it;
// the lane is replaced on its way.
func (in *instance) Flush(chunk []byte) int {
	l := in.acquire()
	finished := false
	defer func() {
		// The lane's memory stays bounded: the pipeline lets go of what a large record grew, and
		// the batch holds batchBytes and one message, which the keys' limits bound (about 100 KiB).
		if finished {
			in.idle <- l
		} else {
			in.discard(l)
		}
	}()
	code := in.flush(l, chunk)
	finished = true
	return code
}

func (in *instance) flush(l *lane, chunk []byte) int {
	l.batch.Reset()
	l.start, l.written = time.Now(), 0
	l.batch.Deadline = l.start.Add(deliver.FlushBudget(&in.cfg.Settings, 0))
	l.warnings, l.sent, l.unconfirmed, l.rejected, l.addressChanges = 0, 0, 0, 0, 0

	st, err := l.pipe.Run(chunk, func(msg []byte) error { return in.emit(l, msg) }, func(msg string) { in.limited(l, levelWarn, msg) })
	l.warnings += st.Warnings - min(st.Warnings, warningsPerFlush) // those the pipeline only counted
	if err == nil || errors.As(err, new(*record.ChunkError)) {
		if serr := in.finish(l); serr != nil {
			err = serr
		}
	}
	if n := l.warnings - warningsPerFlush; n > 0 {
		in.log.Log(levelWarn, fmt.Sprintf("%d more warnings in this chunk not shown", n))
	}
	code, statsLine := in.count(l, st, err)
	switch code {
	case flbError:
		in.log.Log(levelError, fmt.Sprintf("%v; the %d events before it were delivered, the rest of the chunk is dropped", err, l.sent))
	case flbRetry:
		in.log.Log(levelError, fmt.Sprintf("delivery failed, returning FLB_RETRY (Fluent Bit retries the chunk unless its Retry_Limit is used up): %v", err))
	default:
		if in.log.Enabled(levelDebug) {
			in.log.Log(levelDebug, fmt.Sprintf("flush: %d events sent, %d filtered out", l.sent, st.Filtered))
		}
	}
	if statsLine != "" {
		in.log.Log(levelInfo, statsLine)
	}
	return code
}

// count adds a flush to the counters and turns its error into Fluent Bit's return code; it returns
// the counters line when it is due. The events of a chunk are counted by the flush that ends it (OK
// or ERROR), once: a retried chunk meets them again. Deliveries, retries and connections are counted
// as they happen.
func (in *instance) count(l *lane, st pipeline.Stats, err error) (code int, statsLine string) {
	d := stats{statSent: uint64(l.sent), statAddressChanges: uint64(l.addressChanges)}
	switch {
	case err == nil: // first: errors.As's target is allocated for every flush it is evaluated in
		code = flbOK
	case errors.As(err, new(*record.ChunkError)):
		code = flbError
	default:
		code = flbRetry
		d[statRetriedFlushes] = 1
	}
	if code != flbRetry {
		d[statFiltered] = uint64(st.Filtered)
		d[statShortened] = uint64(st.Shortened)
		d[statSkipped] = uint64(st.Skipped)
		d[statTooLarge] = uint64(st.TooLarge)
		d[statAggregated] = uint64(st.Aggregated)
		d[statRateLimited] = uint64(st.RateLimited)
		d[statFieldProblems] = uint64(st.Problems)
		d[statBadTimes] = uint64(st.BadTimes)
		d[statRejected] = uint64(l.rejected)
		d[statGroupMarkers] = uint64(st.Markers)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.add(d)
	return code, in.dueStats()
}

// emit frames one message, which the pipeline made fit Max_Message_Size, into the lane's batch and
// writes the batch out when it is full.
func (in *instance) emit(l *lane, msg []byte) error {
	panicHook(msg)
	start := len(l.batch.Buf)
	l.batch.Buf = append(l.batch.Buf, msg...)
	l.batch.End(start)
	if len(l.batch.Buf) < batchBytes {
		return nil
	}
	if err := in.send(l); err != nil {
		return err
	}
	l.batch.Reset()
	return nil
}

// finish sends the last batch of a flush, and waits for the SIEM to confirm that it has everything
// the flush sent: until then a reset could lose what this host still queues.
func (in *instance) finish(l *lane) error {
	if l.batch.Len() > 0 {
		if err := in.send(l); err != nil {
			return err
		}
	}
	if err := l.transport.Confirm(l.batch.Deadline); err != nil {
		return err
	}
	l.sent += l.unconfirmed
	return nil
}

// send writes the lane's batch, within the flush's budget for what it will have written then.
func (in *instance) send(l *lane) error {
	l.written += len(l.batch.Buf)
	l.batch.Deadline = l.start.Add(deliver.FlushBudget(&in.cfg.Settings, l.written))
	err := l.transport.Send(&l.batch)
	if err == nil {
		if in.cfg.Protocol.DeliversOnConfirm() {
			l.unconfirmed += l.batch.Len() - l.batch.Rejected
		} else {
			l.sent += l.batch.Len() - l.batch.Rejected
		}
		l.rejected += l.batch.Rejected
	}
	switch {
	case l.batch.PeerClosed:
		l.closedInARow++
		in.logPeerClosed(l)
	case l.written == len(l.batch.Buf): // the flush's first batch, on a connection the SIEM kept
		l.closedInARow = 0
	}
	if err == nil && l.batch.Rejected > 0 {
		in.limited(l, levelWarn, fmt.Sprintf("the SIEM refused %d events for good (RELP status 5xx); they are not sent again", l.batch.Rejected))
	}
	if now := l.transport.Connected(); now != "" && now != l.address {
		if l.address == "" {
			in.log.Log(levelInfo, "connected to "+now)
		} else {
			in.log.Log(levelWarn, fmt.Sprintf("now connected to %s instead of %s (Address order: %s)", now, l.address, strings.Join(in.cfg.Endpoints(), ",")))
			l.addressChanges++
		}
		l.address = now
	}
	return err
}

// peerClosedWarnAfter is how many flushes in a row must find the connection closed for the line
// to be a warning: a restart or an idle time-out closes one now and then, a SIEM that cannot read
// the Framing every time.
const peerClosedWarnAfter = 3

// logPeerClosed logs a reconnection to a SIEM that had closed the connection since the last flush.
func (in *instance) logPeerClosed(l *lane) {
	if l.closedInARow < peerClosedWarnAfter {
		in.log.Log(levelInfo, fmt.Sprintf("%s had closed the connection since the last flush; reconnected (a restart or an idle time-out does that)", l.address))
		return
	}
	in.log.Log(levelWarn, fmt.Sprintf("%s had closed the connection after each of the last %d flushes; reconnected: a SIEM "+
		"that closes after every flush may be refusing this Framing or Protocol (plain tcp to a TLS port), and then loses "+
		"what it was sent, though its host acknowledged it (check Framing and Protocol)", l.address, l.closedInARow))
}

// limited logs a message about single events, up to warningsPerFlush of them in a flush; the flush
// counts the rest in one line.
func (in *instance) limited(l *lane, level int, msg string) {
	l.warnings++
	if l.warnings <= warningsPerFlush {
		in.log.Log(level, msg)
	}
}

// dueStats returns the counters line at the first flush after each Stats_Interval: no timer, so an
// idle instance costs nothing and leaves no goroutine behind. in.mu is held.
func (in *instance) dueStats() string {
	if in.cfg.StatsInterval == 0 || in.now().Sub(in.lastStats) < in.cfg.StatsInterval {
		return ""
	}
	in.lastStats = in.now()
	return "stats: " + in.stats.line(in.cfg)
}

// Close waits for the flushes in progress and releases every connection.
func (in *instance) Close() {
	in.mu.Lock()
	lanes := len(in.lanes)
	in.mu.Unlock()
	for range lanes {
		(<-in.idle).transport.Close()
	}
	in.mu.Lock()
	s := in.stats
	in.metrics.Close()
	in.mu.Unlock()
	in.log.Log(levelInfo, fmt.Sprintf("stopped: %s; %d instances remain, %d goroutines", s.line(in.cfg), instances.count(), runtime.NumGoroutine()))
}
