package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateSessionKey returns the session key kept in path, creating it
// (32 random bytes, hex, mode 0600) on first use so that sessions outlive a
// restart. Replicas must share a configured key instead: each would make
// its own here, and a browser moved between them would lose its session.
func LoadOrCreateSessionKey(path string) ([]byte, error) {
	if key, err := readSessionKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	// Written aside and linked into place: a crash leaves no half-written
	// key, and of two processes racing, both end up with the one linked.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-key-*")
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(b[:]) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return readSessionKey(path)
}

func readSessionKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < MinSessionKeyBytes {
		return nil, fmt.Errorf("session key %s: want %d or more hex-encoded bytes", path, MinSessionKeyBytes)
	}
	return key, nil
}
