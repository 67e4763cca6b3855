package frontdoor

// takeWarmReady counts idle warm sandboxes over all pools.
func (f *FrontDoor) takeWarmReady() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.pools {
		n += len(p.ready)
	}
	return n
}

// IdleRunSandboxes counts the warm run sandboxes waiting in all pools.
func (f *FrontDoor) IdleRunSandboxes() int {
	f.mu.Lock()
	rp := f.runPool
	f.mu.Unlock()
	if rp == nil {
		return 0
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	n := 0
	for _, p := range rp.pools {
		n += len(p.ready)
	}
	return n
}
