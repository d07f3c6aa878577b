package product

import "testing"

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
