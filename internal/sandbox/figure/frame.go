package figure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"unicode"
)

// The frame the backend writes (runblock_figures.py): magic, u64 stdout
// bytes before the figure, u32 alt length, u32 PNG length, alt, PNG.
var magic = []byte("RBFIG1\n\x00")

const headerLen = 8 + 8 + 4 + 4

// Caps on one image. The backend renders within them; these hold whatever
// the program writes to the descriptor itself.
const (
	MaxPNGBytes = 1 << 20
	MaxWidth    = 1600
	MaxHeight   = 1200
	MaxAltBytes = 1024
	// MaxImages is how many images one run may show.
	MaxImages = 10
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

var errMalformed = errors.New("malformed figure frame")

type frame struct {
	after int64
	alt   string
	png   []byte
}

// parseFrame decodes one frame at the start of b. It returns the frame and
// its length, n == 0 when b holds only part of one, or errMalformed when b
// can't start a frame: the channel is then dropped whole, as nothing after
// a broken frame can be trusted to be aligned.
func parseFrame(b []byte) (f frame, n int, err error) {
	if len(b) < headerLen {
		if !bytes.HasPrefix(magic, b[:min(len(b), len(magic))]) {
			return f, 0, errMalformed
		}
		return f, 0, nil
	}
	if !bytes.Equal(b[:8], magic) {
		return f, 0, errMalformed
	}
	after := binary.BigEndian.Uint64(b[8:])
	altLen := binary.BigEndian.Uint32(b[16:])
	pngLen := binary.BigEndian.Uint32(b[20:])
	if after > 1<<62 || altLen > MaxAltBytes || pngLen > MaxPNGBytes {
		return f, 0, errMalformed
	}
	total := headerLen + int(altLen) + int(pngLen)
	if len(b) < total {
		return f, 0, nil
	}
	f.after = int64(after)
	f.alt = cleanAlt(b[headerLen : headerLen+int(altLen)])
	f.png = bytes.Clone(b[headerLen+int(altLen) : total])
	return f, total, nil
}

// checkPNG accepts a PNG whose header chunk gives a size within the caps.
// The image is sent to browsers as is, never decoded here: the signature
// and size are what the budget and the page rely on.
func checkPNG(b []byte) error {
	if len(b) < 33 || !bytes.Equal(b[:8], pngSignature) || string(b[12:16]) != "IHDR" {
		return errors.New("not a PNG")
	}
	w := binary.BigEndian.Uint32(b[16:])
	h := binary.BigEndian.Uint32(b[20:])
	if w == 0 || h == 0 || w > MaxWidth || h > MaxHeight {
		return errors.New("PNG size out of bounds")
	}
	return nil
}

// cleanAlt makes the alt text valid UTF-8 on one line.
func cleanAlt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
