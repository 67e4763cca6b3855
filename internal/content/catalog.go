package content

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Catalog is an immutable snapshot of the content directory. Accessors
// return copies, so callers cannot change what other goroutines see.
type Catalog struct {
	lessons   map[string]*Lesson
	summaries []LessonSummary
	problems  []Problem
	// html has one entry per lesson, made at load, so lookups need no lock.
	html map[string]*rendered
}

// Lessons returns every lesson, ordered by front matter order (lessons
// without one last), then by id.
func (c *Catalog) Lessons() []LessonSummary { return slices.Clone(c.summaries) }

// Lesson returns the lesson with this id.
func (c *Catalog) Lesson(id string) (Lesson, bool) {
	if !ValidID(id) {
		return Lesson{}, false
	}
	l, ok := c.lessons[id]
	if !ok {
		return Lesson{}, false
	}
	cp := *l
	cp.Blocks = slices.Clone(l.Blocks)
	return cp, true
}

// Block returns one runnable block of a lesson.
func (c *Catalog) Block(lessonID, blockID string) (Block, bool) {
	if !ValidID(lessonID) {
		return Block{}, false
	}
	l, ok := c.lessons[lessonID]
	if !ok {
		return Block{}, false
	}
	for _, b := range l.Blocks {
		if b.ID == blockID {
			return b, true
		}
	}
	return Block{}, false
}

// Problems returns what was wrong with the content when this snapshot was
// loaded.
func (c *Catalog) Problems() []Problem { return slices.Clone(c.problems) }

// Load reads every lesson under dir. The error is for a directory that
// cannot be read at all; anything wrong with individual files is returned
// as problems and the rest still loads. Files are opened through os.Root,
// so symlinks cannot reach outside dir.
func Load(dir string) (*Catalog, []Problem, error) { return LoadWith(dir, Options{}) }

// Options are the server's bounds that lessons must respect.
type Options struct {
	// MaxTimeout is the largest timeout (seconds) a run may ask for; a
	// block asking for more is skipped with a problem, as the API would
	// refuse every run of it. 0: 3600, the attribute's own bound.
	MaxTimeout int
}

// LoadWith is Load with the server's bounds.
func LoadWith(dir string, opts Options) (*Catalog, []Problem, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("content directory: %w", err)
	}
	defer root.Close()
	c := &Catalog{lessons: map[string]*Lesson{}, html: map[string]*rendered{}}
	problem := func(rel string, line int, msg string) {
		c.problems = append(c.problems, Problem{File: filepath.Join(dir, filepath.FromSlash(rel)), Line: line, Message: msg})
	}
	err = walkLessons(root, func(rel string, werr error) {
		if werr != nil {
			problem(rel, 0, werr.Error())
			return
		}
		l, probs, err := loadFile(root, dir, rel)
		c.problems = append(c.problems, probs...)
		if err != nil {
			problem(rel, 0, err.Error())
			return
		}
		if opts.MaxTimeout > 0 {
			l.Blocks = slices.DeleteFunc(l.Blocks, func(b Block) bool {
				if b.Timeout <= opts.MaxTimeout {
					return false
				}
				problem(rel, b.Line, fmt.Sprintf("block %q: timeout=%d is more than the server allows (limits.max_timeout %ds); block skipped", b.ID, b.Timeout, opts.MaxTimeout))
				return true
			})
		}
		c.lessons[l.ID] = l
	})
	if err != nil {
		return nil, nil, fmt.Errorf("content directory %s: %w", dir, err)
	}
	for _, l := range c.lessons {
		c.html[l.ID] = &rendered{}
		c.summaries = append(c.summaries, LessonSummary{ID: l.ID, Title: l.Title, Description: l.Description, Blocks: len(l.Blocks)})
	}
	slices.SortFunc(c.summaries, func(a, b LessonSummary) int {
		la, lb := c.lessons[a.ID], c.lessons[b.ID]
		switch {
		case la.HasOrder != lb.HasOrder:
			if la.HasOrder {
				return -1
			}
			return 1
		case la.Order != lb.Order:
			return la.Order - lb.Order
		}
		return strings.Compare(a.ID, b.ID)
	})
	return c, slices.Clone(c.problems), nil
}

// walkLessons calls fn with the slash-separated path of every candidate
// lesson file, skipping dotfiles and dot-directories. A subdirectory that
// cannot be read is passed to fn as an error; only a failure of the top
// directory stops the walk.
func walkLessons(root *os.Root, fn func(rel string, err error)) error {
	return fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			if rel == "." {
				return err
			}
			fn(rel, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		fn(rel, nil)
		return nil
	})
}

func loadFile(root *os.Root, dir, rel string) (*Lesson, []Problem, error) {
	id := strings.TrimSuffix(rel, ".md")
	if !ValidID(id) {
		return nil, nil, fmt.Errorf("file name does not make a valid lesson id %q (use letters, digits, '-', '_', '.'); skipped", id)
	}
	// Stat before Open: opening a FIFO named *.md would block the load.
	fi, err := root.Stat(filepath.FromSlash(rel))
	if err != nil {
		return nil, nil, fmt.Errorf("unreadable: %w", unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file; skipped")
	}
	if fi.Size() > MaxFileBytes {
		return nil, nil, fmt.Errorf("larger than %d bytes; skipped", MaxFileBytes)
	}
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, nil, fmt.Errorf("unreadable: %w", unwrapPath(err))
	}
	defer f.Close()
	// The limit is checked on what is read, not only on the size reported,
	// because the file may grow between Stat and Read.
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("unreadable: %w", unwrapPath(err))
	}
	if len(src) > MaxFileBytes {
		return nil, nil, fmt.Errorf("larger than %d bytes; skipped", MaxFileBytes)
	}
	l, probs := ParseLesson(id, filepath.Join(dir, filepath.FromSlash(rel)), src)
	l.Path = rel
	l.ModTime = fi.ModTime()
	return &l, probs, nil
}

// unwrapPath drops the *PathError wrapper, whose path would repeat the
// file name that the Problem already carries.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
