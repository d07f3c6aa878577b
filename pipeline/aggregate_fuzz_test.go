package pipeline

import (
	"strconv"
	"testing"
	"time"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/config"
)

// fuzzVolumeConfigs are the configurations FuzzAggregate runs a chunk under, besides the plain one:
// aggregation at the smallest message size, and aggregation under a rate ceiling of 3 a second.
var fuzzVolumeConfigs = []map[string]string{
	{"Aggregate": "1s", "Max_Message_Size": "480"},
	{"Aggregate": "1h", "Max_Events_Per_Second": "3", "Syslog_Format": "rfc5424"},
}

// FuzzAggregate: aggregation never loses a count. For any chunk, the events the plain pipeline
// sends or finds too large are the cnt of the messages sent (1 without cnt), plus those too large,
// plus those held back, which the summaries count; every message passes the strict decoder.
func FuzzAggregate(f *testing.F) {
	for _, chunk := range sourceChunks(f) {
		f.Add(chunk[:min(len(chunk), 4096)])
	}
	records := make([]map[string]any, 12)
	for i := range records {
		records[i] = processEvent()
		records[i]["command"] = "cmd " + strconv.Itoa(i%3)
	}
	f.Add(chunkOf(f, 700*time.Millisecond, records...))
	plain := New(loadConfig(f, nil))
	pipes := make([]*Pipeline, len(fuzzVolumeConfigs))
	cfgs := make([]*config.Config, len(fuzzVolumeConfigs))
	for i, props := range fuzzVolumeConfigs {
		cfgs[i] = loadConfig(f, props)
		pipes[i] = New(cfgs[i])
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		want, _ := plain.Run(chunk, func([]byte) error { return nil }, func(string) {})
		for i, p := range pipes {
			p.ceiling = NewCeiling(cfgs[i]) // full: what is held back depends on the chunk alone
			counted, summarised := 0, 0
			st, err := p.Run(chunk, func(msg []byte) error {
				if err := checkMessage(string(msg), p.maxSize); err != nil {
					return err
				}
				_, m, _ := cef.ParseSyslog(string(msg))
				n := 1
				if v, ok := m.Get("cnt"); ok {
					n, _ = strconv.Atoi(v)
				}
				if m.ClassID == "SIEMCEF-001" {
					summarised += n
				} else {
					counted += n
				}
				return nil
			}, func(string) {})
			if err != nil && !isChunkError(err) {
				t.Fatalf("config %d: %v", i, err)
			}
			if got := counted + st.TooLarge + st.RateLimited; got != want.Emitted+want.TooLarge {
				t.Fatalf("config %d: %d events in, %d counted (%+v)", i, want.Emitted+want.TooLarge, got, st)
			}
			if counted != st.Emitted+st.Aggregated || summarised != st.RateLimited {
				t.Fatalf("config %d: cnt %d, summaries %d, stats %+v", i, counted, summarised, st)
			}
		}
	})
}
