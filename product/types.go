// Package product is the product's event model (docs/events.md): the event types with their names,
// categories and severity rules, the outcome vocabulary, severity overrides, the extension keys with
// their labels, limits and the keys each type sends, and the mapped Event, which schema fills, filter
// selects and cef encodes.
package product

import (
	"bytes"

	"github.com/kcs-siem/siem-cef/cef"
)

// Outcome is a record's status reduced to what the severity rules look at.
type Outcome uint8

const (
	OutcomeOther Outcome = iota
	OutcomeSuccess
	OutcomeError
	OutcomeAudit
	OutcomeEnforce
)

// outcomeWords are lower-case ASCII letters, as foldsTo compares them.
var outcomeWords = []struct {
	word    string
	outcome Outcome
}{
	{"success", OutcomeSuccess}, {"succeeded", OutcomeSuccess}, {"ok", OutcomeSuccess},
	{"error", OutcomeError}, {"failure", OutcomeError}, {"failed", OutcomeError}, {"fail", OutcomeError},
	{"audit", OutcomeAudit}, {"audited", OutcomeAudit},
	{"enforce", OutcomeEnforce}, {"enforced", OutcomeEnforce}, {"blocked", OutcomeEnforce},
}

// ClassifyOutcome reads a status as the product (docs/events.md) and the sensors write it, in any
// case, trimmed as the message carries it: the SIEM sees the status the severity was computed from.
func ClassifyOutcome(status []byte) Outcome {
	if status = cef.TrimBlanks(status); len(status) == 0 {
		return OutcomeOther
	}
	for _, w := range outcomeWords {
		if len(w.word) == len(status) && foldsTo(status, w.word) {
			return w.outcome
		}
	}
	return OutcomeOther
}

// Blank reports a string value the message leaves out: empty, or blanks alone.
func Blank(v []byte) bool { return len(cef.TrimBlanks(v)) == 0 }

// foldsTo is bytes.EqualFold for s as long as word, a word of lower-case ASCII letters: such an s
// that folds to it is ASCII (the letters' other folds, K and ſ, are longer), and a byte folds to a
// lower-case letter when setting its 0x20 bit gives the letter.
func foldsTo(s []byte, word string) bool {
	for i := range len(word) {
		if s[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}

// spellings are the product's words for the outcomes that change a severity (docs/events.md §4).
var spellings = [...][]byte{OutcomeError: []byte("Error"), OutcomeAudit: []byte("Audit"), OutcomeEnforce: []byte("Enforce")}

// Spelling is the product's word for an outcome that changes a severity (Audit, Enforce, Error), which
// the SIEM is sent instead of the record's synonym (Audited, Blocked, failed), so that it sees the
// outcome the severity comes from; nil for Success and Other, which keep the record's word.
func (o Outcome) Spelling() []byte {
	if int(o) < len(spellings) {
		return spellings[o]
	}
	return nil
}

// Type is one event type of docs/events.md §3 with its severity rule.
type Type struct {
	Prefix   string
	Name     string
	Category string
	Runtime  bool
	// sendsFname: the types whose records name an image artifact (docs/events.md §5).
	sendsFname bool
	// Severity when the outcome is notable (runtime: Audit or Enforce; others: an error), and otherwise.
	notable, usual int
}

// Severity applies the type's rule to an outcome.
func (t *Type) Severity(o Outcome) int {
	if t.Runtime && (o == OutcomeAudit || o == OutcomeEnforce) || !t.Runtime && o == OutcomeError {
		return t.notable
	}
	return t.usual
}

// Category names used for filtering (docs/events.md §3 and §7).
const (
	CategoryAdministration      = "Administration"
	CategoryAlert               = "Alert"
	CategoryCICD                = "CI/CD"
	CategoryPolicies            = "Policies"
	CategoryResources           = "Resources"
	CategoryScanners            = "Scanners"
	CategoryAdmissionController = "Admission controller"
	CategoryForensicData        = "Forensic data"
	CategoryAPI                 = "API"
	CategoryRuntime             = "runtime"
)

// Categories are the nine event categories an integration exports, in the product's order. Runtime
// events are selected by type and agent group instead.
var Categories = []string{
	CategoryAdministration, CategoryAlert, CategoryCICD, CategoryPolicies, CategoryResources,
	CategoryScanners, CategoryAdmissionController, CategoryForensicData, CategoryAPI,
}

// RuntimePrefixes are the runtime event types, in the product's order.
var RuntimePrefixes = []string{"PM", "FM", "NT", "FPM", "FNT", "FFM", "FFTP"}

var types = []Type{
	{Prefix: "ADM", Name: "Administration", Category: CategoryAdministration, sendsFname: true, notable: 6, usual: 3},
	{Prefix: "CVE", Name: "Vulnerability risk acceptance", Category: CategoryAdministration, sendsFname: true, notable: 6, usual: 5},
	{Prefix: "MLW", Name: "Malware risk acceptance", Category: CategoryAdministration, sendsFname: true, notable: 6, usual: 5},
	{Prefix: "SD", Name: "Sensitive data risk acceptance", Category: CategoryAdministration, sendsFname: true, notable: 6, usual: 5},
	{Prefix: "MS", Name: "Misconfiguration risk acceptance", Category: CategoryAdministration, sendsFname: true, notable: 6, usual: 5},
	{Prefix: "NCMP", Name: "Image non-compliance", Category: CategoryPolicies, sendsFname: true, notable: 6, usual: 6},
	{Prefix: "CMP", Name: "Image compliance", Category: CategoryPolicies, sendsFname: true, notable: 6, usual: 2},
	{Prefix: "CI", Name: "CI/CD", Category: CategoryCICD, sendsFname: true, notable: 6, usual: 3},
	{Prefix: "PLC", Name: "Security policy", Category: CategoryPolicies, sendsFname: true, notable: 6, usual: 3},
	{Prefix: "BNCH", Name: "Cluster benchmark", Category: CategoryResources, notable: 6, usual: 3},
	{Prefix: "AG", Name: "Agents", Category: CategoryAlert, notable: 10, usual: 5},
	{Prefix: "SJ", Name: "Scan", Category: CategoryScanners, sendsFname: true, notable: 6, usual: 3},
	{Prefix: "RT", Name: "Best practice check", Category: CategoryResources, notable: 6, usual: 3},
	{Prefix: "API", Name: "API", Category: CategoryAPI, notable: 8, usual: 3},
	{Prefix: "PM", Name: "Process management", Category: CategoryRuntime, Runtime: true, notable: 7, usual: 3},
	{Prefix: "FM", Name: "File management", Category: CategoryRuntime, Runtime: true, notable: 7, usual: 3},
	{Prefix: "NT", Name: "Networking", Category: CategoryRuntime, Runtime: true, notable: 7, usual: 3},
	{Prefix: "FPM", Name: "Process policy violation", Category: CategoryRuntime, Runtime: true, notable: 8, usual: 5},
	{Prefix: "FNT", Name: "Network policy violation", Category: CategoryRuntime, Runtime: true, notable: 8, usual: 5},
	{Prefix: "FFM", Name: "File policy violation", Category: CategoryRuntime, Runtime: true, notable: 8, usual: 5},
	{Prefix: "FFTP", Name: "File threat protection", Category: CategoryRuntime, Runtime: true, notable: 9, usual: 6},
}

// UnknownType stands for an event whose type is not in the table: it is still sent, with every key
// its record has.
var UnknownType = &Type{Name: "Unknown event", notable: 5, usual: 5}

// RateCeilingType is the plugin's own event that says how many events Max_Events_Per_Second held
// back: its class ID is RateCeilingClassID, and it carries cnt, start, end and msg. It is not in the
// table, so a record's event_id never gets it.
var RateCeilingType = &Type{Prefix: "SIEMCEF", Name: "Events not sent: rate ceiling", notable: 5, usual: 5}

// RateCeilingClassID is the class ID of the rate ceiling's summary event.
const RateCeilingClassID = "SIEMCEF-001"

// OwnClassID reports a class ID in the plugin's own namespace (SIEMCEF, in any case): a record that
// carries one would pass for the plugin's word to the SIEM ("events not sent").
func OwnClassID(id []byte) bool {
	return len(id) >= len(RateCeilingType.Prefix) && bytes.EqualFold(id[:len(RateCeilingType.Prefix)], []byte(RateCeilingType.Prefix))
}

// LookupType finds the type of an event ID by its prefix, the part before the first '-'.
func LookupType(eventID []byte) *Type {
	prefix := eventID
	if i := bytes.IndexByte(eventID, '-'); i >= 0 {
		prefix = eventID[:i]
	}
	if t, ok := typeByCode(prefixCode(prefix)); ok {
		return t
	}
	return UnknownType
}

// TypeByPrefix finds a type of the table by its prefix ("PM").
func TypeByPrefix(prefix string) (*Type, bool) { return typeByCode(prefixCode(prefix)) }

// typeByCode finds the type whose prefix prefixCode made code: one probe of typeSlots.
func typeByCode(code uint64, ok bool) (*Type, bool) {
	if s := &typeSlots.slot[code*typeSlots.mul>>58]; ok && s.code == code && s.t != nil {
		return s.t, true
	}
	return nil, false
}

// typeSlots holds each type of the table at the slot its prefix's code times mul hashes to, no two
// sharing one (TestPrefixCodes): a look-up compares one word.
var typeSlots = func() typeTable {
	h, ok := spread(types)
	if !ok {
		panic("product: two event types' prefixes share a code (prefixCode): each must be distinct and at most 7 bytes")
	}
	return h
}()

type typeTable struct {
	mul  uint64
	slot [64]struct {
		code uint64
		t    *Type
	}
}

// spread finds the first odd multiplier that leads the types' codes to slots of their own: a
// handful of tries for distinct codes. Two prefixes with one code (a repeated prefix, or two of over
// 7 bytes) never spread: ok is false after as many tries as could ever be needed.
func spread(types []Type) (h typeTable, ok bool) {
	for try := range uint64(1 << 16) {
		h.mul = 0x9e3779b97f4a7c15 + 2*try
		clear(h.slot[:])
		i := 0
		for ; i < len(types); i++ {
			code, _ := prefixCode(types[i].Prefix) // every prefix has one: TestPrefixCodes
			s := &h.slot[code*h.mul>>58]
			if s.t != nil {
				break
			}
			s.code, s.t = code, &types[i]
		}
		if i == len(types) {
			return h, true
		}
	}
	return h, false
}

// prefixCode packs a prefix of up to 7 bytes and its length into a word; ok is false for a longer
// one, which is no prefix of the table.
func prefixCode[S string | []byte](p S) (code uint64, ok bool) {
	if len(p) > 7 {
		return 0, false
	}
	for i := range len(p) {
		code |= uint64(p[i]) << (8 * i)
	}
	return code | uint64(len(p))<<56, true
}

// Prefixes lists the prefixes of the table, in its order.
func Prefixes() []string {
	p := make([]string, len(types))
	for i := range types {
		p[i] = types[i].Prefix
	}
	return p
}

// IsFileType tells the file event types, whose cs4 carries the new owner.
func (t *Type) IsFileType() bool {
	return t.Prefix == "FM" || t.Prefix == "FFM" || t.Prefix == "FFTP"
}
