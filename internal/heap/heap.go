// Package heap measures the live heap for the memory tests: what a flush, a record or a mapping
// leaves behind once it is done.
package heap

import "runtime"

// Live is the heap in use after full collections (two: the first may leave what finalizers free).
func Live() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
