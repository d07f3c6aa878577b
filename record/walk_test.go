package record_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nestedEvent is {"process": {"pid": 7, "pod": {"name": "web", "labels": {"a": "b"}}, "uid": 0},
// "parent": {"pid": 1, "binary": "/bin/sh"}, "time": "t"}.
func nestedEvent() []byte {
	pod := cat(fixmap(2), mstr("name"), mstr("web"), mstr("labels"), fixmap(1), mstr("a"), mstr("b"))
	process := cat(fixmap(3), mstr("pid"), []byte{0x07}, mstr("pod"), pod, mstr("uid"), []byte{0x00})
	parent := cat(fixmap(2), mstr("pid"), []byte{0x01}, mstr("binary"), mstr("/bin/sh"))
	return cat(fixmap(3), mstr("process"), process, mstr("parent"), parent, mstr("time"), mstr("t"))
}

// A walk enters the process and its pod, stops in the pod after its name, and goes on with the
// process's next key after the pod, then with the event's keys after the process.
func TestWalkEntersAChildAndGoesOnAfterIt(t *testing.T) {
	w := record.NodeOf(nestedEvent()).WalkPairs()
	k, ok := w.Key()
	require.True(t, ok)
	require.Equal(t, "process", string(k))
	process, ok := w.EnterMap()
	require.True(t, ok)
	var got []string
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		switch string(k) {
		case "pod":
			pod, ok := w.EnterMap()
			require.True(t, ok)
			k, ok := w.Key()
			require.True(t, ok)
			name, _ := w.Value().Str()
			got = append(got, string(k)+"="+string(name))
			w.Leave(pod) // labels left unread
		default:
			got = append(got, string(k)+"="+string(w.Value().Bytes()))
		}
	}
	w.Leave(process)
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		got = append(got, string(k)) // the values left unread
	}
	assert.Equal(t, []string{"pid=\x07", "name=web", "uid=\x00", "parent", "time"}, got)
	assert.False(t, w.Broken())
}

// Value hands out a container measured, its bytes and no more, and an entered child left at its
// first key is stepped over whole.
func TestWalkValueIsMeasured(t *testing.T) {
	event := nestedEvent()
	w := record.NodeOf(event).WalkPairs()
	w.Key()
	process := w.Value()
	assert.Equal(t, record.NodeOf(process.Bytes()).Bytes(), process.Bytes())
	assert.Equal(t, 3, process.Len())
	k, _ := w.Key()
	require.Equal(t, "parent", string(k))
	outer, ok := w.EnterMap()
	require.True(t, ok)
	k, _ = w.Key()
	require.Equal(t, "pid", string(k))
	w.Leave(outer)
	k, ok = w.Key()
	require.True(t, ok)
	assert.Equal(t, "time", string(k))
	v, _ := w.Value().Str()
	assert.Equal(t, "t", string(v))
	_, ok = w.Key()
	assert.False(t, ok)
}

// An array's walk reads its elements; a map's walk steps over keys that are not strings with their
// values; EnterArray refuses a map, and EnterMap a string.
func TestWalkElemsAndOddKeys(t *testing.T) {
	arr := cat(fixarray(3), mstr("a"), fixarray(1), []byte{0x05}, []byte{0xc3})
	w := record.NodeOf(arr).WalkElems()
	var got [][]byte
	for w.Elem() {
		if _, ok := w.EnterMap(); ok {
			t.Fatal("an element entered as a map")
		}
		got = append(got, w.Value().Bytes())
	}
	assert.Equal(t, [][]byte{mstr("a"), {0x91, 0x05}, {0xc3}}, got)

	m := cat(fixmap(2), []byte{0x01}, fixmap(1), mstr("x"), mstr("y"), mstr("k"), mstr("v"))
	w = record.NodeOf(m).WalkPairs()
	k, ok := w.Key()
	require.True(t, ok)
	assert.Equal(t, "k", string(k))
	_, ok = w.EnterArray()
	assert.False(t, ok)
	_, ok = w.EnterMap()
	assert.False(t, ok)
	v, _ := w.Value().Str()
	assert.Equal(t, "v", string(v))
	assert.Equal(t, record.Walk{}, record.NodeOf(m).WalkElems())
}

// A walk reads nothing of bytes that hold no whole value (a Node is measured whole).
func TestWalkOfNoWholeValueReadsNothing(t *testing.T) {
	short := cat([]byte{0xde, 0x00, 0x02}, mstr("a"), []byte{0xd9, 0x40}, []byte("only a few bytes"))
	w := record.NodeOf(short).WalkPairs()
	_, ok := w.Key()
	assert.False(t, ok)
	assert.False(t, w.Broken())
}

// Stepping over a value nested a million deep counts its children instead of recursing, and the walk
// goes on after it.
func TestWalkStepsOverDeepNestingWithoutRecursion(t *testing.T) {
	const depth = 1 << 20
	deep := append(bytes.Repeat([]byte{0x91}, depth), 0x01)
	m := cat(fixmap(2), mstr("deep"), deep, mstr("k"), mstr("v"))
	w := record.NodeOf(m).WalkPairs()
	w.Key()
	k, ok := w.Key()
	require.True(t, ok)
	assert.Equal(t, "k", string(k))
}

// Str reads a value as a string, a fixstr and a str8 alike, and any other value as none; the walk
// goes on after the value either way.
func TestWalkStr(t *testing.T) {
	long := strings.Repeat("x", 40) // a str8
	m := cat(fixmap(4), mstr("a"), mstr("web"), mstr("b"), mstr(long), mstr("c"), []byte{0xcd, 0x01, 0x02},
		mstr("d"), fixarray(1), mstr("e"))
	w := record.NodeOf(m).WalkPairs()
	var got []string
	for k, ok := w.Key(); ok; k, ok = w.Key() {
		s, ok := w.Str()
		got = append(got, fmt.Sprintf("%s=%q %v", k, s, ok))
	}
	assert.Equal(t, []string{`a="web" true`, `b="` + long + `" true`, `c="" false`, `d="" false`}, got)
	assert.False(t, w.Broken())
}

// EnterElemMap enters an array's maps, a fixmap and a map16 alike, one after another, and steps
// over its other elements and what is left unread of each map.
func TestWalkEnterElemMap(t *testing.T) {
	arr := cat(fixarray(5), []byte{0x01}, fixmap(2), mstr("a"), mstr("x"), mstr("b"), fixarray(1), []byte{0x02},
		mstr("s"), []byte{0xde, 0x00, 0x01}, mstr("c"), mstr("y"), fixmap(0))
	w := record.NodeOf(arr).WalkElems()
	var got []string
	for outer, ok := w.EnterElemMap(); ok; outer, ok = w.EnterElemMap() {
		k, ok := w.Key() // the first key only; the rest is stepped over
		got = append(got, fmt.Sprintf("%s %v", k, ok))
		w.Leave(outer)
	}
	assert.Equal(t, []string{"a true", "c true", " false"}, got)
	assert.False(t, w.Broken())
}
