package content

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// PlaceholderClass marks the element that stands for a runnable block in
// rendered HTML; the page mounts the block's editor there.
const PlaceholderClass = "runblock-block"

// Placeholder is the exact HTML that replaces the runnable block id.
func Placeholder(id string) string {
	return `<div class="` + PlaceholderClass + `" data-block-id="` + id + `"></div>`
}

// renderMD has the GitHub extensions and heading ids the page links to.
// Raw HTML stays off (goldmark replaces it with a comment) and dangerous
// link schemes are dropped; the sanitizer below is the second line, so a
// goldmark bug or a future option cannot let script through.
var renderMD = goldmark.New(
	// GFM, with table alignment as an attribute rather than a style, so
	// the sanitizer keeps it without allowing author CSS.
	goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.TaskList,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	goldmark.WithRendererOptions(
		renderer.WithNodeRenderers(util.Prioritized(placeholderRenderer{}, 100)),
	),
)

// sanitizer is bluemonday's policy for user content, plus the placeholder,
// code languages and GFM task list checkboxes. Nothing else may carry a
// class, so author HTML cannot style itself like the page.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^` + PlaceholderClass + `$`)).OnElements("div")
	p.AllowAttrs("data-block-id").Matching(regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)).OnElements("div")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]+$`)).OnElements("code")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("th", "td")
	// Links open in this tab and must not pass this page's authority on.
	p.RequireNoReferrerOnLinks(true)
	return p
}()

// RenderLesson turns a lesson's Markdown into sanitized HTML in which each
// loaded runnable block is replaced by its Placeholder, in document order.
// Fences that were not loaded as blocks (not runnable, or broken) stay as
// ordinary code, so an author sees the code that was skipped.
func RenderLesson(l Lesson) (string, error) {
	src := []byte(l.Markdown)
	doc := renderMD.Parser().Parse(text.NewReader(src))
	want := make(map[string]bool, len(l.Blocks))
	for _, b := range l.Blocks {
		want[b.ID] = true
	}
	var fences []*ast.FencedCodeBlock
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if f, ok := n.(*ast.FencedCodeBlock); ok && entering {
			fences = append(fences, f)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	// The same rules as ParseLesson (first fence with an id wins), so the
	// placeholders are exactly the lesson's blocks.
	for _, f := range fences {
		if f.Info == nil {
			continue
		}
		if infoStr := string(f.Info.Segment.Value(src)); isTestsFence(infoStr) {
			// Hidden tests never reach the page; a tests fence too broken
			// to parse might be hidden, so it goes too. Visible tests stay
			// as ordinary code: they are the exercise's examples.
			if t, ok := parseTests(infoStr, 0, func(string) {}); !ok || t.Hidden {
				f.Parent().RemoveChild(f.Parent(), f)
			}
			continue
		}
		b, ok := parseBlock(string(f.Info.Segment.Value(src)), 0, func(string) {})
		if !ok || !want[b.ID] {
			continue
		}
		delete(want, b.ID)
		f.Parent().ReplaceChild(f.Parent(), f, &placeholderNode{id: b.ID})
	}
	var buf bytes.Buffer
	if err := renderMD.Renderer().Render(&buf, src, doc); err != nil {
		return "", fmt.Errorf("render %s: %w", l.ID, err)
	}
	return sanitizer.Sanitize(buf.String()), nil
}

var kindPlaceholder = ast.NewNodeKind("RunblockPlaceholder")

type placeholderNode struct {
	ast.BaseBlock
	id string
}

func (n *placeholderNode) Kind() ast.NodeKind { return kindPlaceholder }

func (n *placeholderNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"ID": n.id}, nil)
}

type placeholderRenderer struct{}

func (placeholderRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindPlaceholder, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			// Block ids are validated to [A-Za-z0-9_.-]: nothing to escape.
			_, _ = w.WriteString(Placeholder(n.(*placeholderNode).id) + "\n")
		}
		return ast.WalkSkipChildren, nil
	})
}

// rendered caches one lesson's HTML for the life of a catalog snapshot: a
// reload makes a new snapshot, so an edited lesson is rendered again.
type rendered struct {
	once sync.Once
	html string
	err  error
}

// LessonHTML returns the rendered HTML of a lesson, rendering it on first
// use.
func (c *Catalog) LessonHTML(id string) (string, bool, error) {
	if !ValidID(id) {
		return "", false, nil
	}
	l, ok := c.lessons[id]
	if !ok {
		return "", false, nil
	}
	r := c.html[id]
	r.once.Do(func() { r.html, r.err = RenderLesson(*l) })
	return r.html, true, r.err
}
