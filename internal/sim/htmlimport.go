package sim

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	samplespace "github.com/atlasbridge/atlasbridge/internal/sim/space"
)

// The HTML importer turns a folder of HTML files (DocBook output such as Debian's PostgreSQL
// documentation, or the sample handbook) into a Confluence space of storage-format pages.

// importedFile is one parsed file of a folder.
type importedFile struct {
	name     string // file name, e.g. "sql-select.html"
	title    string
	up       string   // parent file from the DocBook "Up" link, if any
	next     string   // next file in reading order (DocBook "Next"), if any
	links    []string // files linked from this one, in order (for child ordering)
	body     *xhtml.Node
	labels   []string
	restrict []string
	storage  string
}

// ImportHTMLDir imports every .html file of imp.HTMLDir as a page of space imp.Key and returns
// the number of pages created. Page ids are stable (see PageID); each page keeps its file name in
// the content property "sourcefile".
func (s *Sim) ImportHTMLDir(imp SpaceImport) (int, error) {
	if imp.HTMLDir == "" {
		return 0, fmt.Errorf("sim: import space %s: empty HTML folder", imp.Key)
	}
	st, err := os.Stat(imp.HTMLDir)
	if err != nil {
		return 0, fmt.Errorf("sim: import space %s: %w", imp.Key, err)
	}
	if !st.IsDir() {
		return 0, fmt.Errorf("sim: import space %s: %s is not a folder", imp.Key, imp.HTMLDir)
	}
	return s.ImportHTMLFS(os.DirFS(imp.HTMLDir), imp.Key, imp.Name)
}

func (s *Sim) importDefaultSpace() error {
	_, err := s.ImportHTMLFS(samplespace.FS, "ENG", "Engineering Handbook")
	return err
}

// ImportHTMLFS imports the .html files at the root of fsys as space key (see ImportHTMLDir).
func (s *Sim) ImportHTMLFS(fsys fs.FS, key, name string) (int, error) {
	if !validSpaceKey(key) {
		return 0, fmt.Errorf("sim: import space %q: key must be letters and digits", key)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return 0, fmt.Errorf("sim: import space %s: %w", key, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".html") || strings.HasSuffix(e.Name(), ".htm")) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return 0, fmt.Errorf("sim: import space %s: no .html files found", key)
	}
	files := make([]*importedFile, len(names))
	errs := make([]error, len(names))
	parallel(len(names), func(i int) {
		files[i], errs[i] = parseHTMLFile(fsys, names[i])
	})
	for _, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("sim: import space %s: %w", key, err)
		}
	}
	// Titles must be unique in a space: disambiguate with the file name.
	byName := map[string]*importedFile{}
	seen := map[string]int{}
	for _, f := range files {
		byName[f.name] = f
		seen[strings.ToLower(f.title)]++
	}
	titles := map[string]string{}
	for _, f := range files {
		if seen[strings.ToLower(f.title)] > 1 {
			f.title = f.title + " (" + strings.TrimSuffix(f.name, path.Ext(f.name)) + ")"
		}
		titles[f.name] = f.title
	}
	parallel(len(files), func(i int) {
		files[i].storage = toStorage(files[i].body, titles)
		files[i].body = nil
	})

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.conf.spaces[key] != nil {
		return 0, fmt.Errorf("sim: import space %s: space exists", key)
	}
	// index.html, when it is a root, becomes the space's home page.
	home := byName["index.html"]
	if home != nil && (home.up != "" && byName[home.up] != nil) {
		home = nil
	}
	sp, err := s.conf.addSpace(key, name, now, "admin", home == nil)
	if err != nil {
		return 0, fmt.Errorf("sim: import space %s: %w", key, err)
	}
	// Parent of each file: its Up link when that file is in the folder and no cycle forms.
	parent := map[string]string{}
	for _, f := range files {
		if f.up == "" || f.up == f.name || byName[f.up] == nil {
			continue
		}
		cyc := false
		for p, n := f.up, 0; p != ""; p, n = parent[p], n+1 {
			if p == f.name || n > len(files) {
				cyc = true
				break
			}
		}
		if !cyc {
			parent[f.name] = f.up
		}
	}
	children := map[string][]*importedFile{}
	var roots []*importedFile
	for _, f := range files {
		if p, ok := parent[f.name]; ok {
			children[p] = append(children[p], f)
		} else {
			roots = append(roots, f)
		}
	}
	// Reading order from the "Next" chain, starting at a file no other file points to.
	reading := map[string]int{}
	pointed := map[string]bool{}
	for _, f := range files {
		pointed[f.next] = true
	}
	for _, f := range files {
		if pointed[f.name] || f.next == "" {
			continue
		}
		for cur := f; cur != nil; cur = byName[cur.next] {
			if _, seen := reading[cur.name]; seen {
				break
			}
			reading[cur.name] = len(reading)
		}
	}
	// Children follow the reading order, else their order of mention in the parent, else name.
	order := func(p *importedFile, list []*importedFile) {
		pos := map[string]int{}
		for i, l := range p.links {
			if _, ok := pos[l]; !ok {
				pos[l] = i
			}
		}
		slices.SortStableFunc(list, func(a, b *importedFile) int {
			pa, oka := pos[a.name]
			pb, okb := pos[b.name]
			switch {
			case oka && okb:
				return pa - pb
			case oka:
				return -1
			case okb:
				return 1
			}
			return strings.Compare(a.name, b.name)
		})
		slices.SortStableFunc(list, func(a, b *importedFile) int {
			ra, oka := reading[a.name]
			rb, okb := reading[b.name]
			switch {
			case oka && okb:
				return ra - rb
			case oka:
				return -1
			case okb:
				return 1
			}
			return 0
		})
	}
	order(&importedFile{}, roots)
	// A folder with an index.html and no other roots reads best with index first.
	slices.SortStableFunc(roots, func(a, b *importedFile) int {
		if a.name == "index.html" {
			return -1
		}
		if b.name == "index.html" {
			return 1
		}
		return 0
	})
	count := 0
	var add func(f *importedFile, parentID string) (*content, error)
	add = func(f *importedFile, parentID string) (*content, error) {
		ct, err := s.conf.add(Page{ID: fmt.Sprint(s.conf.allocID(stableID(key, f.name))), Space: key, Title: f.title,
			Body: f.storage, ParentID: parentID, Labels: f.labels, Restricted: f.restrict,
			SourceFile: f.name, Created: now}, now)
		if err != nil {
			return nil, fmt.Errorf("sim: import %s/%s: %w", key, f.name, err)
		}
		count++
		if f == home {
			sp.homepage = ct
		}
		kids := children[f.name]
		order(f, kids)
		for _, k := range kids {
			if _, err := add(k, ct.idStr()); err != nil {
				return nil, err
			}
		}
		return ct, nil
	}
	if home != nil {
		// Set before the subtree is added, so its children land under it.
		if _, err := add(home, ""); err != nil {
			return count, err
		}
	}
	for _, r := range roots {
		if r == home {
			continue
		}
		if _, err := add(r, sp.homepage.idStr()); err != nil {
			return count, err
		}
	}
	return count, nil
}

// parallel runs fn(0..n-1) on two workers (the machine's cores); fn must be independent per i.
func parallel(n int, fn func(i int)) {
	const workers = 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}(w)
	}
	wg.Wait()
}

func parseHTMLFile(fsys fs.FS, name string) (*importedFile, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	doc, err := xhtml.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	f := &importedFile{name: name}
	var body *xhtml.Node
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Title:
				if f.title == "" {
					f.title = strings.Join(strings.Fields(textOf(n)), " ")
				}
			case atom.Meta:
				switch attr(n, "name") {
				case "labels":
					for _, l := range strings.Split(attr(n, "content"), ",") {
						if l = strings.TrimSpace(l); l != "" {
							f.labels = append(f.labels, l)
						}
					}
				case "restricted":
					for _, u := range strings.Split(attr(n, "content"), ",") {
						if u = strings.TrimSpace(u); u != "" {
							f.restrict = append(f.restrict, u)
						}
					}
				}
			case atom.Body:
				body = n
			case atom.A:
				href := attr(n, "href")
				if target, ok := localTarget(href); ok {
					switch attr(n, "accesskey") {
					case "u":
						if f.up == "" {
							f.up = target
						}
					case "n":
						if f.next == "" {
							f.next = target
						}
					}
					f.links = append(f.links, target)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if f.title == "" {
		f.title = strings.TrimSuffix(name, path.Ext(name))
	}
	if body == nil {
		body = doc
	}
	f.body = body
	return f, nil
}

// localTarget returns the file an href points to when it is a relative link to an .html file.
func localTarget(href string) (string, bool) {
	if href == "" || strings.Contains(href, "://") || strings.HasPrefix(href, "/") ||
		strings.HasPrefix(href, "#") || strings.HasPrefix(href, "mailto:") {
		return "", false
	}
	file, _, _ := strings.Cut(href, "#")
	file, _, _ = strings.Cut(file, "?")
	if !strings.HasSuffix(file, ".html") && !strings.HasSuffix(file, ".htm") {
		return "", false
	}
	return path.Base(file), true
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *xhtml.Node, cls string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), cls)
}

func textOf(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// admonitions maps DocBook admonition classes to Confluence macros.
var admonitions = map[string]string{"note": "info", "tip": "tip", "warning": "warning", "caution": "note", "important": "note"}

// keptTags are copied to storage format (without attributes, except table spans).
var keptTags = map[atom.Atom]string{
	atom.P: "p", atom.H1: "h1", atom.H2: "h2", atom.H3: "h3", atom.H4: "h4", atom.H5: "h5", atom.H6: "h6",
	atom.Ul: "ul", atom.Ol: "ol", atom.Li: "li", atom.Dl: "dl", atom.Dt: "dt", atom.Dd: "dd",
	atom.Table: "table", atom.Thead: "thead", atom.Tbody: "tbody", atom.Tr: "tr", atom.Th: "th", atom.Td: "td",
	atom.Strong: "strong", atom.B: "strong", atom.Em: "em", atom.I: "em", atom.Code: "code", atom.Tt: "code",
	atom.Blockquote: "blockquote", atom.Sub: "sub", atom.Sup: "sup", atom.U: "u", atom.S: "s", atom.Del: "s",
	atom.Kbd: "code", atom.Var: "em", atom.Samp: "code", atom.Caption: "p",
}

// toStorage converts an HTML body to Confluence storage XHTML; titles maps local files to page
// titles for ac:link.
func toStorage(body *xhtml.Node, titles map[string]string) string {
	var b strings.Builder
	var conv func(n *xhtml.Node)
	children := func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			conv(c)
		}
	}
	conv = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			b.WriteString(html.EscapeString(n.Data))
			return
		case xhtml.ElementNode:
		default:
			children(n)
			return
		}
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Head, atom.Title, atom.Meta, atom.Link, atom.Img, atom.Hr:
			return
		case atom.Br:
			b.WriteString("<br />")
			return
		case atom.Pre:
			code := strings.TrimRight(textOf(n), "\n")
			b.WriteString(`<ac:structured-macro ac:name="code">`)
			if lang := codeLanguage(n); lang != "" {
				b.WriteString(`<ac:parameter ac:name="language">` + lang + `</ac:parameter>`)
			}
			b.WriteString(`<ac:plain-text-body><![CDATA[` + strings.ReplaceAll(code, "]]>", "]]]]><![CDATA[>") +
				`]]></ac:plain-text-body></ac:structured-macro>`)
			return
		case atom.A:
			href := attr(n, "href")
			if href == "" {
				children(n) // an anchor or index term: keep its text only
				return
			}
			if target, ok := localTarget(href); ok {
				if title, known := titles[target]; known {
					text := strings.Join(strings.Fields(textOf(n)), " ")
					b.WriteString(`<ac:link`)
					if _, anchor, ok := strings.Cut(href, "#"); ok && anchor != "" {
						b.WriteString(` ac:anchor="` + html.EscapeString(anchor) + `"`)
					}
					b.WriteString(`><ri:page ri:content-title="` + html.EscapeString(title) + `" />`)
					if text != "" {
						b.WriteString(`<ac:plain-text-link-body><![CDATA[` + strings.ReplaceAll(text, "]]>", "]] >") + `]]></ac:plain-text-link-body>`)
					}
					b.WriteString(`</ac:link>`)
					return
				}
			}
			b.WriteString(`<a href="` + html.EscapeString(href) + `">`)
			children(n)
			b.WriteString(`</a>`)
			return
		case atom.Div, atom.Span, atom.Section, atom.Article, atom.Main, atom.Body, atom.Html:
			if hasClass(n, "navheader") || hasClass(n, "navfooter") {
				return
			}
			for cls, macro := range admonitions {
				if n.DataAtom == atom.Div && hasClass(n, cls) {
					b.WriteString(`<ac:structured-macro ac:name="` + macro + `">`)
					// DocBook repeats the admonition name as a heading ("Note"); a custom one becomes the title.
					var first *xhtml.Node
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == xhtml.ElementNode {
							first = c
							break
						}
					}
					if first != nil && (first.DataAtom == atom.H3 || hasClass(first, "title")) {
						if t := strings.TrimSpace(textOf(first)); !strings.EqualFold(t, cls) && t != "" {
							b.WriteString(`<ac:parameter ac:name="title">` + html.EscapeString(t) + `</ac:parameter>`)
						}
					} else {
						first = nil
					}
					b.WriteString(`<ac:rich-text-body>`)
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c != first {
							conv(c)
						}
					}
					b.WriteString(`</ac:rich-text-body></ac:structured-macro>`)
					return
				}
			}
			children(n)
			return
		}
		tag, ok := keptTags[n.DataAtom]
		if !ok {
			children(n)
			return
		}
		b.WriteString("<" + tag)
		if tag == "th" || tag == "td" {
			for _, k := range []string{"colspan", "rowspan"} {
				if v := attr(n, k); v != "" {
					b.WriteString(" " + k + `="` + html.EscapeString(v) + `"`)
				}
			}
		}
		b.WriteString(">")
		children(n)
		b.WriteString("</" + tag + ">")
	}
	children(body)
	return strings.TrimSpace(b.String())
}

// codeLanguage guesses the code macro language from a <pre>'s classes.
func codeLanguage(n *xhtml.Node) string {
	for _, cls := range strings.Fields(attr(n, "class")) {
		if l, ok := strings.CutPrefix(cls, "language-"); ok {
			return l
		}
		if l, ok := strings.CutPrefix(cls, "lang-"); ok {
			return l
		}
	}
	if l := attr(n, "data-lang"); l != "" {
		return l
	}
	return ""
}
