package schema

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kcs-siem/siem-cef/cef"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/kcs-siem/siem-cef/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A record maps the same whether the decoder gave its keys their slots (the pipeline's decoder,
// which the other tests decode with) or the mapping looks them up (an event decoded without the
// Keys), for every peer fixture: the line and the problems.
func TestSlotsOrLookupsMapTheSame(t *testing.T) {
	files, err := filepath.Glob("../test/fixtures/peers/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	mapped := func(rec *record.Event) (string, []Problem) {
		var m Mapper
		ev := new(product.Event)
		problems := m.Map(rec, ev, nil)
		return string(cef.NewEncoder(defaultHeader).AppendCEF(nil, wire(ev))), problems
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		keyed, keyedProblems := mapped(decodeBody(t, string(text)))
		looked, lookedProblems := mapped(decodeWith(t, string(text), nil))
		assert.Equal(t, keyed, looked, filepath.Base(f))
		assert.Equal(t, keyedProblems, lookedProblems, filepath.Base(f))
	}
}
