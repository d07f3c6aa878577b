package product

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// foldsTo compares a status with words of lower-case ASCII letters only.
func TestOutcomeWordsAreLowerCaseLetters(t *testing.T) {
	for _, w := range outcomeWords {
		for _, c := range []byte(w.word) {
			if c < 'a' || c > 'z' {
				t.Errorf("outcome word %q: %q is not a lower-case ASCII letter", w.word, c)
			}
		}
	}
}

// A table whose prefixes share a code cannot spread over the slots: spread says so after its tries
// rather than trying for ever (a repeated prefix, or two longer than 7 bytes, whose codes are both 0).
func TestSpreadRefusesSharedCodes(t *testing.T) {
	_, ok := spread([]Type{{Prefix: "PM"}, {Prefix: "FM"}, {Prefix: "PM"}})
	assert.False(t, ok)
	_, ok = spread([]Type{{Prefix: "LONGPREFIX1"}, {Prefix: "LONGPREFIX2"}})
	assert.False(t, ok)
	h, ok := spread(types)
	require.True(t, ok)
	for i := range types {
		code, _ := prefixCode(types[i].Prefix)
		assert.Same(t, &types[i], h.slot[code*h.mul>>58].t, types[i].Prefix)
	}
}
