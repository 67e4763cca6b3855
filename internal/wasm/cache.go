package wasm

import (
	"container/list"
	"sync"
)

// Module is one compiled WASI program.
type Module struct {
	Hash  string // hex SHA-256 of Bytes: the name it is served by
	Bytes []byte
}

// Cache holds compiled modules, least recently used first out, bounded by
// the bytes of the modules it holds. Keys are (compiler version, flags,
// source) digests; a module is also found by its own hash, which is how the
// browser fetches it.
type Cache struct {
	mu     sync.Mutex
	max    int64
	size   int64
	order  *list.List // of *cacheEntry, front = most recent
	byKey  map[string]*list.Element
	byHash map[string]*list.Element
}

type cacheEntry struct {
	key string
	mod Module
}

// NewCache returns a cache of at most maxBytes of modules.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}, byHash: map[string]*list.Element{}}
}

// Get finds the module compiled for key.
func (c *Cache) Get(key string) (Module, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return Module{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).mod, true
}

// ByHash finds a module by its own hash.
func (c *Cache) ByHash(hash string) (Module, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok {
		return Module{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).mod, true
}

// Put stores m under key; a module larger than the whole cache is not kept.
// Two sources can compile to the same bytes: the hash index then keeps
// one entry and the other key misses until it is compiled again.
func (c *Cache) Put(key string, m Module) {
	n := int64(len(m.Bytes))
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.max {
		return
	}
	if e, ok := c.byKey[key]; ok {
		c.remove(e)
	}
	if e, ok := c.byHash[m.Hash]; ok {
		c.remove(e)
	}
	for c.size+n > c.max {
		c.remove(c.order.Back())
	}
	e := c.order.PushFront(&cacheEntry{key: key, mod: m})
	c.byKey[key] = e
	c.byHash[m.Hash] = e
	c.size += n
}

func (c *Cache) remove(e *list.Element) {
	ce := e.Value.(*cacheEntry)
	c.order.Remove(e)
	delete(c.byKey, ce.key)
	if c.byHash[ce.mod.Hash] == e {
		delete(c.byHash, ce.mod.Hash)
	}
	c.size -= int64(len(ce.mod.Bytes))
}

// Size is the bytes of modules held.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
