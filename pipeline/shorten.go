package pipeline

// Shorten appends the message of the event being emitted again, shortened to at most size bytes by
// cutting its longest values first (cef.Encoder.AppendFit). Call it from emit only. fits is false,
// with nothing appended, when even the shortest form is longer.
func (p *Pipeline) Shorten(dst []byte, size int) (out []byte, fits bool) {
	out, _, fits = p.enc.AppendFit(dst, &p.ev, size)
	return out, fits
}
