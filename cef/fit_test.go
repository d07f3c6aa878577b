package cef_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fitEvent() *cef.Event {
	ev := newEvent()
	ev.ClassID = []byte("PM-001")
	ev.Type = cef.LookupType(ev.ClassID)
	ev.Severity = 7
	ev.Values[cef.KeyMsg] = str(strings.Repeat("m", 1000))
	ev.Values[cef.KeyCs4] = str(strings.Repeat("€", 3000)) // 9,000 bytes
	ev.Values[cef.KeyCs1] = str(strings.Repeat("=", 500))  // 1,000 bytes once escaped
	ev.Values[cef.KeyDpid] = cef.Int(42)
	return ev
}

func TestAppendFitLeavesAShortMessageAlone(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	ev := fitEvent()
	want := enc.Append(nil, ev)
	got, shortened, ok := enc.AppendFit(nil, ev, len(want))
	assert.True(t, ok)
	assert.False(t, shortened)
	assert.Equal(t, string(want), string(got))
}

func TestAppendFitCutsTheLongestValuesFirst(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	for _, size := range []int{8192, 4096, 2048, 1200, 600, 480} {
		ev := fitEvent()
		got, shortened, ok := enc.AppendFit([]byte("prefix"), ev, size)
		require.True(t, ok, "size %d", size)
		assert.True(t, shortened)
		msg := got[len("prefix"):]
		assert.LessOrEqual(t, len(msg), size, "never larger than the limit")
		assert.Greater(t, len(msg), size-40, "size %d: cut no more than needed (%d bytes)", size, len(msg))
		assert.True(t, utf8.Valid(msg))
		_, m, err := cef.ParseSyslog(string(msg))
		require.NoError(t, err, "size %d: %s", size, msg)
		dpid, _ := m.Get("dpid")
		assert.Equal(t, "42", dpid, "numbers are never cut")
		cs4, _ := m.Get("cs4")
		msgV, _ := m.Get("msg")
		cs1, _ := m.Get("cs1")
		assert.Equal(t, strings.Repeat("€", utf8.RuneCountInString(cs4)), cs4, "whole characters")
		assert.Equal(t, strings.Repeat("=", len(cs1)), cs1, "whole escapes")
		// the longest (cs4) went first: it is never left shorter than a value it was longer than
		if size >= 4096 {
			assert.Equal(t, strings.Repeat("m", 1000), msgV, "size %d: msg untouched while cs4 was longer", size)
		}
	}
	// and the event is not changed for the next integration
	ev := fitEvent()
	enc.AppendFit(nil, ev, 600)
	assert.Equal(t, string(enc.Append(nil, fitEvent())), string(enc.Append(nil, ev)))
}

func TestAppendFitGivesUpWhenTheHeaderAloneIsTooLong(t *testing.T) {
	enc := cef.NewEncoder(kcsHeader)
	got, _, ok := enc.AppendFit([]byte("x"), fitEvent(), 60)
	assert.False(t, ok)
	assert.Equal(t, "x", string(got), "nothing appended")
}
