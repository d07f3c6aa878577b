package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An output field given twice counts the last time, a text and a number alike, and a last "<NA>"
// leaves the field out; of the keys of a path, the first given counts.
func TestFalcoOutputFieldGivenTwice(t *testing.T) {
	alert := `{"rule":"Test rule","priority":"Notice","hostname":"node-1","time":"2026-03-12T09:40:51.100200300Z",
		"output":"2026-03-12T09:40:51.100200300+0000: Notice something happened (x=1)",
		"output_fields":{"evt.type":"openat","proc.name":"decoy","proc.name":"bash","proc.pid":1,"proc.pid":42,
			"user.name":"alice","user.name":"<NA>","evt.arg.path":"/first","evt.arg.pathname":"/second"}}`
	want := head + "FFM-001|File policy violation|5|dpid=42 act=open dproc=bash filePath=/first " +
		"cs2=node-1 cs2Label=Node name outcome=Audit msg=Test rule: something happened (x\\=1)"
	assert.Equal(t, want, cefLine(t, &Mapper{}, alert))
}
