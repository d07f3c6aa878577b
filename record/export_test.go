package record

// The limits, for the tests of package record_test.
const (
	MaxFields       = maxFields
	MaxRenderedJSON = maxRenderedJSON
	MaxEmbeddedJSON = maxEmbeddedJSON
)
