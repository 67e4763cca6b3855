package wasm

import (
	"fmt"
	"testing"
)

func mod(i, n int) Module { return Module{Hash: fmt.Sprintf("h%d", i), Bytes: make([]byte, n)} }

func TestCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	c := NewCache(300)
	c.Put("a", mod(1, 100))
	c.Put("b", mod(2, 100))
	c.Put("c", mod(3, 100))
	c.Get("a") // a is now the most recent; b is the oldest
	c.Put("d", mod(4, 150))
	if _, ok := c.Get("b"); ok {
		t.Fatal("b should have been evicted first")
	}
	if _, ok := c.Get("c"); ok {
		t.Fatal("c should have been evicted to make room for 150 bytes")
	}
	if _, ok := c.ByHash("h1"); !ok {
		t.Fatal("a (recently used) evicted")
	}
	if c.Size() > 300 {
		t.Fatalf("cache holds %d bytes, bound 300", c.Size())
	}
	c.Put("huge", mod(5, 301))
	if _, ok := c.Get("huge"); ok {
		t.Fatal("a module larger than the cache was kept")
	}
}

func TestCacheSameModuleUnderTwoKeys(t *testing.T) {
	c := NewCache(1000)
	c.Put("a", mod(1, 100))
	c.Put("b", mod(1, 100))
	if _, ok := c.ByHash("h1"); !ok {
		t.Fatal("module lost")
	}
	if c.Size() != 100 {
		t.Fatalf("size %d: one module counted twice", c.Size())
	}
}
