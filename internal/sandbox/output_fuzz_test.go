package sandbox

import "testing"

// FuzzOutputCap: whatever bytes a program writes and however the reads split
// them, the characters passed on never exceed the cap, they are valid UTF-8
// (every invalid byte one U+FFFD), and the bytes stay within 4 per character.
func FuzzOutputCap(f *testing.F) {
	f.Add([]byte("aé€😀bcdef"), uint16(5), uint64(1))
	f.Add([]byte("\x80\x80\x80\x80\x80\x80\x80"), uint16(3), uint64(2))
	f.Add([]byte("\xE2\x82a\xF0\x9F\x98\xC0\xAF\xED\xA0\x80\xEF\xBF\xBD"), uint16(4), uint64(3))
	f.Add([]byte("ok\xF0\x9F"), uint16(2), uint64(4))
	f.Add([]byte("no cap"), uint16(0), uint64(5))
	f.Fuzz(checkOutputCap)
}
