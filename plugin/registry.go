package main

import "sync"

// registry holds the live instances of the library. The .so is never unloaded, so this outlives hot
// reloads: each instance is removed at its exit, leaving nothing behind.
type registry struct {
	mu    sync.Mutex
	next  uint64 // context ids, never reused, never 0 (a NULL context)
	index int    // instances started in this configuration generation
	// integrations are the Integration names of this configuration generation's instances
	integrations map[string]bool
	byCtx        map[uint64]*instance
}

var instances = &registry{byCtx: map[uint64]*instance{}}

func (r *registry) newGeneration() {
	r.mu.Lock()
	r.index, r.integrations = 0, nil
	r.mu.Unlock()
}

// claim takes an Integration name for an instance of this configuration generation, and reports
// whether another instance of it has the name already.
func (r *registry) claim(integration string) (taken bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.integrations == nil {
		r.integrations = map[string]bool{}
	}
	taken = r.integrations[integration]
	r.integrations[integration] = true
	return taken
}

// nextIndex numbers instances as Fluent Bit names them (siem_cef.0, siem_cef.1, …).
func (r *registry) nextIndex() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.index++
	return r.index - 1
}

func (r *registry) add(in *instance) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.byCtx[r.next] = in
	return r.next
}

func (r *registry) get(id uint64) *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byCtx[id]
}

func (r *registry) remove(id uint64) *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	in := r.byCtx[id]
	delete(r.byCtx, id)
	return in
}

func (r *registry) removeAll() []*instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make([]*instance, 0, len(r.byCtx))
	for id, in := range r.byCtx {
		all = append(all, in)
		delete(r.byCtx, id)
	}
	return all
}

// count is the number of live instances.
func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byCtx)
}
