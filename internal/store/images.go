package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Image is a figure a run showed, kept so its last run can be shown again.
// AfterOutputChars places it in Output: the characters of stdout before it.
type Image struct {
	MIME             string `json:"mime"`
	Data             []byte `json:"data"`
	Alt              string `json:"alt"`
	AfterOutputChars int    `json:"after_output_chars"`
}

// History keeps at most this many images of a run, and this many bytes of
// them; callers keep the first ones that fit. They sit in one column that
// only GetExecution reads, so pages of ListExecutions stay small.
const (
	MaxImages     = 4
	MaxImageBytes = 2 << 20
	maxAltBytes   = 1024
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func checkImages(imgs []Image) error {
	if len(imgs) > MaxImages {
		return fmt.Errorf("%w: %d images, at most %d", ErrInvalid, len(imgs), MaxImages)
	}
	total := 0
	for _, im := range imgs {
		total += len(im.Data)
		if im.MIME != "image/png" || !bytes.HasPrefix(im.Data, pngSignature) {
			return fmt.Errorf("%w: an image that is not a PNG", ErrInvalid)
		}
		if len(im.Alt) > maxAltBytes || !utf8.ValidString(im.Alt) || im.AfterOutputChars < 0 {
			return fmt.Errorf("%w: bad image alt text or position", ErrInvalid)
		}
	}
	if total > MaxImageBytes {
		return fmt.Errorf("%w: %d image bytes, at most %d", ErrInvalid, total, MaxImageBytes)
	}
	return nil
}

// EncodeImages is the images column's text: JSON, PNGs in base64. Empty
// for none.
func EncodeImages(imgs []Image) (string, error) {
	if len(imgs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(imgs)
	return string(b), err
}

// DecodeImages reads the column back.
func DecodeImages(s string) ([]Image, error) {
	if s == "" {
		return nil, nil
	}
	var imgs []Image
	if err := json.Unmarshal([]byte(s), &imgs); err != nil {
		return nil, fmt.Errorf("store: images column: %w", err)
	}
	return imgs, nil
}
