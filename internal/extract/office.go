package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// officeText writes the text of a Word, Excel or PowerPoint (OOXML) file:
// a zip archive of XML parts, read with the standard library's streaming
// decoders (no DTDs, no entity expansion), at most maxInflated bytes
// decompressed over all parts.
func officeText(w *writer, kind string, data []byte, maxInflated int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: %s is not a zip archive: %v", ErrMalformed, kind, err)
	}
	o := &office{w: w, files: map[string]*zip.File{}, budget: maxInflated}
	for _, f := range zr.File {
		o.files[f.Name] = f
	}
	if o.files["EncryptionInfo"] != nil {
		return ErrEncrypted
	}
	switch kind {
	case DOCX:
		err = o.docx()
	case XLSX:
		err = o.xlsx()
	default:
		err = o.pptx()
	}
	return err
}

type office struct {
	w      *writer
	files  map[string]*zip.File
	budget int64 // bytes still allowed to inflate
}

var errInflated = fmt.Errorf("%w: the archive inflates past the size limit", ErrMalformed)

// part opens a part of the archive for streaming XML, charged to the budget.
func (o *office) part(name string) (*xml.Decoder, func(), error) {
	f := o.files[name]
	if f == nil {
		return nil, nil, fmt.Errorf("%w: no part %s", ErrMalformed, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: part %s: %v", ErrMalformed, name, err)
	}
	d := xml.NewDecoder(&budgetReader{r: rc, o: o})
	d.Strict = false
	return d, func() { rc.Close() }, nil
}

type budgetReader struct {
	r io.Reader
	o *office
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.o.budget <= 0 {
		return 0, errInflated
	}
	if int64(len(p)) > b.o.budget {
		p = p[:b.o.budget]
	}
	n, err := b.r.Read(p)
	b.o.budget -= int64(n)
	return n, err
}

// walk streams the elements of a part to fn (start and end elements, and
// character data inside them), stopping at the first error.
func (o *office) walk(name string, fn func(tok xml.Token) error) error {
	d, done, err := o.part(name)
	if err != nil {
		return err
	}
	defer done()
	for {
		if err := o.w.check(); err != nil {
			return err
		}
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, errInflated) {
				return errInflated
			}
			return fmt.Errorf("%w: part %s: %v", ErrMalformed, name, err)
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}

// docx: the body, then footnotes and endnotes.
func (o *office) docx() error {
	for _, name := range []string{"word/document.xml", "word/footnotes.xml", "word/endnotes.xml"} {
		if o.files[name] == nil && name != "word/document.xml" {
			continue
		}
		if err := o.paragraphs(name); err != nil {
			return err
		}
		o.w.paragraph()
	}
	return nil
}

// pptx: each slide in order under a "Slide N" line.
func (o *office) pptx() error {
	slides := numbered(o.files, "ppt/slides/slide", ".xml")
	if len(slides) == 0 {
		return fmt.Errorf("%w: no slides", ErrMalformed)
	}
	for i, name := range slides {
		o.w.text(fmt.Sprintf("Slide %d\n", i+1))
		if err := o.paragraphs(name); err != nil {
			return err
		}
		o.w.paragraph()
	}
	return nil
}

// paragraphs writes the text of a Word or DrawingML part, where the
// element names agree: text in t, a paragraph (p) a line, tab a tab, br
// a line break, table cells (tc) separated by tabs. Deleted text
// (w:delText) and field codes (w:instrText) are other names, left out.
func (o *office) paragraphs(name string) error {
	inText := false
	return o.walk(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				o.w.text("\t")
			case "br", "cr":
				o.w.newline()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p", "tbl":
				o.w.newline()
			case "tc":
				o.w.text("\t")
			}
		case xml.CharData:
			if inText {
				o.w.text(string(t))
			}
		}
		return nil
	})
}

// numbered lists the parts prefix<N>suffix in the order of N.
func numbered(files map[string]*zip.File, prefix, suffix string) []string {
	type part struct {
		n    int
		name string
	}
	var parts []part
	for name := range files {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			if num, ok := strings.CutSuffix(rest, suffix); ok {
				if n, err := strconv.Atoi(num); err == nil {
					parts = append(parts, part{n, name})
				}
			}
		}
	}
	slices.SortFunc(parts, func(a, b part) int { return a.n - b.n })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name
	}
	return out
}

// xlsx: each sheet under its name, a row a line, cells separated by tabs
// (shared strings resolved, formulas as their cached values).
func (o *office) xlsx() error {
	shared, err := o.sharedStrings()
	if err != nil {
		return err
	}
	for _, sh := range o.sheets() {
		o.w.text("## " + sh.name + "\n")
		var (
			typ    string
			inV    bool
			val    strings.Builder
			cells  int
			inline bool
		)
		err := o.walk(sh.part, func(tok xml.Token) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "c":
					typ, inline = attr(t, "t"), false
					val.Reset()
				case "v":
					inV = true
				case "is":
					inline = true
				case "t":
					inV = inline
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "v", "t":
					inV = false
				case "c":
					s := val.String()
					if typ == "s" {
						if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && i >= 0 && i < len(shared) {
							s = shared[i]
						}
					}
					if cells > 0 {
						o.w.text("\t")
					}
					o.w.text(s)
					cells++
				case "row":
					o.w.newline()
					cells = 0
				}
			case xml.CharData:
				if inV && val.Len() < 32<<10 {
					val.Write(t)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		o.w.paragraph()
	}
	return nil
}

// sharedStrings reads xl/sharedStrings.xml: the text of each si, in order.
// Its size counts against the text limit too, as it may be as large.
func (o *office) sharedStrings() ([]string, error) {
	if o.files["xl/sharedStrings.xml"] == nil {
		return nil, nil
	}
	var (
		out   []string
		cur   strings.Builder
		inT   bool
		total int
	)
	err := o.walk("xl/sharedStrings.xml", func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "si":
				out = append(out, cur.String())
			}
		case xml.CharData:
			if inT {
				total += len(t)
				if o.w.max > 0 && total > o.w.max {
					return fmt.Errorf("%w: shared strings past the text limit", ErrMalformed)
				}
				cur.Write(t)
			}
		}
		return nil
	})
	return out, err
}

type sheet struct{ name, part string }

// sheets lists the worksheets in workbook order with their parts, from
// xl/workbook.xml and its relationships; failing those, the sheetN parts.
func (o *office) sheets() []sheet {
	rels := map[string]string{}
	_ = o.walk("xl/_rels/workbook.xml.rels", func(tok xml.Token) error {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "Relationship" {
			target := attr(t, "Target")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join("xl", target)
			}
			rels[attr(t, "Id")] = target
		}
		return nil
	})
	var out []sheet
	_ = o.walk("xl/workbook.xml", func(tok xml.Token) error {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sheet" {
			id := ""
			for _, a := range t.Attr {
				if a.Name.Local == "id" {
					id = a.Value
				}
			}
			if p := rels[id]; p != "" && o.files[p] != nil {
				out = append(out, sheet{attr(t, "name"), p})
			}
		}
		return nil
	})
	if len(out) == 0 {
		for i, p := range numbered(o.files, "xl/worksheets/sheet", ".xml") {
			out = append(out, sheet{fmt.Sprintf("Sheet %d", i+1), p})
		}
	}
	return out
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}
