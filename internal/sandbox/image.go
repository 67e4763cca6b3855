package sandbox

// Image is a figure the program produced (matplotlib's plt.show() or a
// figure open at exit), checked by the runtime: a PNG within the size caps.
type Image struct {
	MIME string
	Data []byte
	Alt  string
	// AfterStdoutBytes is how many bytes of stdout the program had written
	// before it, as the runtime read them (before the output cap).
	AfterStdoutBytes int64
}

// ImageSink receives a run's images in order with its stdout: Image is
// called after every stdout byte written before the figure reached the
// Stdout writer and before any written after it. It must not block for long.
type ImageSink func(Image)

// DefaultImageBytes is the image budget of a run when Limits.ImageBytes is 0.
const DefaultImageBytes = 4 << 20
