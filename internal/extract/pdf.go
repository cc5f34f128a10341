package extract

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ledongthuc/pdf"
)

// pdfText writes the text of a PDF's pages. The library panics on much
// malformed input and its own plain-text reader drops the spacing that TeX
// and others express as glyph positions, so this interprets the content
// streams itself: text-showing operators give the text, TJ gaps and moves
// along a line give spaces, moves to another line give line breaks.
func pdfText(w *writer, data []byte, maxPages int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(stop); ok {
				err = e.err
				return
			}
			err = fmt.Errorf("%w: pdf: %v", ErrMalformed, r)
		}
		// Whatever the library made of a failed read, an error or a quiet
		// end of the stream, the text is cut short: the time ran out.
		if w.ctx.Err() != nil {
			err = ErrTimeout
		}
	}()
	r, err := pdf.NewReader(&guardedReader{r: bytes.NewReader(data), w: w}, int64(len(data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return ErrEncrypted
		}
		return fmt.Errorf("%w: pdf: %v", ErrMalformed, err)
	}
	n := r.NumPage()
	if maxPages > 0 && n > maxPages {
		n = maxPages
	}
	for i := 1; i <= n; i++ {
		if err := w.check(); err != nil {
			return err
		}
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		pageText(w, p)
		w.paragraph()
	}
	return nil
}

// guardedReader fails every read once time is up. The library reads the
// file in chunks as it inflates streams and lexes content, so this stops
// work the operator callback never sees: a stream of a billion operands
// and no operator, or arrays nested a million deep.
type guardedReader struct {
	r *bytes.Reader
	w *writer
}

func (g *guardedReader) ReadAt(p []byte, off int64) (int, error) {
	if g.w.ctx.Err() != nil {
		return 0, ErrTimeout
	}
	return g.r.ReadAt(p, off)
}

// stop carries an error out of the interpreter's callback.
type stop struct{ err error }

// Form XObjects (text drawn from a reusable form, as headers often are)
// are read to a depth of maxFormDepth and at most maxForms times a page,
// so that forms drawing themselves cannot recurse or multiply.
const (
	maxFormDepth = 3
	maxForms     = 64
)

// pageText interprets one page's content stream.
func pageText(w *writer, p pdf.Page) {
	forms := maxForms
	streamText(w, p.V.Key("Contents"), p.Resources(), 0, &forms)
}

// streamText interprets a content stream drawn with the given resources.
func streamText(w *writer, contents, resources pdf.Value, depth int, forms *int) {
	if contents.IsNull() {
		return
	}
	fonts := map[string]pdf.TextEncoding{}
	var enc pdf.TextEncoding
	show := func(v pdf.Value) {
		if v.Kind() != pdf.String {
			return
		}
		s := v.RawString()
		if enc != nil {
			s = enc.Decode(s)
		}
		w.text(s)
	}
	var args []pdf.Value
	var y float64 // the line's position, to tell a new line from a move along it
	pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
		if err := w.check(); err != nil {
			panic(stop{err})
		}
		args = args[:0]
		for stk.Len() > 0 {
			args = append(args, stk.Pop())
		}
		// args holds the operands last first.
		arg := func(i int) pdf.Value {
			if j := len(args) - 1 - i; j >= 0 && j < len(args) {
				return args[j]
			}
			return pdf.Value{}
		}
		switch op {
		case "Tf":
			name := arg(0).Name()
			e, ok := fonts[name]
			if !ok {
				f := pdf.Font{V: resources.Key("Font").Key(name)}
				e = f.Encoder()
				fonts[name] = e
			}
			enc = e
		case "Do":
			x := resources.Key("XObject").Key(arg(0).Name())
			if x.Key("Subtype").Name() != "Form" || depth >= maxFormDepth || *forms <= 0 {
				return
			}
			*forms--
			res := x.Key("Resources")
			if res.IsNull() {
				res = resources
			}
			streamText(w, x, res, depth+1, forms)
			w.newline()
		case "Tj":
			show(arg(0))
		case "'":
			w.newline()
			show(arg(0))
		case `"`:
			w.newline()
			show(arg(2))
		case "TJ":
			a := arg(0)
			for i := 0; i < a.Len(); i++ {
				v := a.Index(i)
				switch v.Kind() {
				case pdf.String:
					show(v)
				case pdf.Integer, pdf.Real:
					// A gap of more than a fifth of an em between glyphs is a space.
					if v.Float64() < -200 {
						w.space()
					}
				}
			}
		case "Td", "TD":
			if dy := arg(1).Float64(); dy != 0 {
				y += dy
				w.newline()
			} else if arg(0).Float64() != 0 {
				w.space()
			}
		case "T*":
			w.newline()
		case "Tm":
			if ny := arg(5).Float64(); ny != y {
				y = ny
				w.newline()
			} else {
				w.space()
			}
		case "ET":
			w.space()
		}
	})
}
