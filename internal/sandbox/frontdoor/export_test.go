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
