package filter_test

import (
	"testing"

	"github.com/kcs-siem/siem-cef/filter"
	"github.com/kcs-siem/siem-cef/product"
	"github.com/stretchr/testify/assert"
)

// The longest category, "Admission controller" (19 bytes folded), spelled the record's own way,
// still matches: the bound on a record's folded category leaves room for it.
func TestRecordSpellsTheLongestCategoryItsOwnWay(t *testing.T) {
	f := filter.New(filter.Selection{Categories: []string{product.CategoryAdmissionController}})
	adm, _ := product.TypeByPrefix("ADM")
	for _, cat := range []string{"admission_controller", "ADMISSION-CONTROLLER", "AdmissionController"} {
		assert.True(t, f.Allows(&product.Event{Type: adm, Category: []byte(cat)}), "%q", cat)
	}
}
