package extract

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"
)

// Errors a caller acts on (with errors.Is).
var (
	// ErrUnsupported: not a format this package reads.
	ErrUnsupported = errors.New("extract: not a PDF or OOXML Office file")
	// ErrMalformed: the file is damaged, or not what its name says.
	ErrMalformed = errors.New("extract: malformed file")
	// ErrEncrypted: the file needs a password.
	ErrEncrypted = errors.New("extract: encrypted file")
	// ErrTimeout: reading took longer than Limits.Timeout.
	ErrTimeout = errors.New("extract: took too long")
)

// Kinds of document Text reads.
const (
	PDF  = "pdf"
	DOCX = "docx"
	XLSX = "xlsx"
	PPTX = "pptx"
)

// Kind names the document kind of a file by its name and media type, or
// "" when Text does not read it. The old binary Office formats (.doc,
// .xls, .ppt) are not read.
func Kind(name, mediaType string) string {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(mediaType, ";", 2)[0]))
	switch {
	case mt == "application/pdf":
		return PDF
	case mt == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return DOCX
	case mt == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return XLSX
	case mt == "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return PPTX
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return PDF
	case ".docx", ".docm":
		return DOCX
	case ".xlsx", ".xlsm":
		return XLSX
	case ".pptx", ".pptm":
		return PPTX
	}
	return ""
}

// Limits bound one extraction.
type Limits struct {
	// MaxText is the most bytes of text returned; reading stops there.
	MaxText int
	// MaxInflated is the most bytes decompressed from an Office archive.
	MaxInflated int64
	// MaxPages is the most PDF pages read.
	MaxPages int
	// Timeout bounds the time spent.
	Timeout time.Duration
}

// DefaultLimits suit a tool answer: text for paging through, read in a
// few seconds at most.
var DefaultLimits = Limits{MaxText: 2 << 20, MaxInflated: 64 << 20, MaxPages: 2000, Timeout: 10 * time.Second}

// running holds a slot per extraction under way. A hostile PDF can make
// the reader allocate fast until its time is up; with at most two at once
// (the cores of a small server), many such calls wait their turn instead
// of adding their memory together, and one that waits past its timeout
// gives ErrTimeout.
var running = make(chan struct{}, 2)

// Text returns the plain text of a document of the given kind (see Kind),
// at most lim.MaxText bytes of it, and whether it stopped there.
func Text(ctx context.Context, kind string, data []byte, lim Limits) (text string, truncated bool, err error) {
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	switch kind {
	case PDF, DOCX, XLSX, PPTX:
	default:
		return "", false, ErrUnsupported
	}
	select {
	case running <- struct{}{}:
		defer func() { <-running }()
	case <-ctx.Done():
		return "", false, ErrTimeout
	}
	w := &writer{ctx: ctx, max: lim.MaxText}
	switch kind {
	case PDF:
		err = pdfText(w, data, lim.MaxPages)
	case DOCX, XLSX, PPTX:
		err = officeText(w, kind, data, lim.MaxInflated)
	default:
		return "", false, ErrUnsupported
	}
	if errors.Is(err, errFull) {
		err = nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(w.b), "?")), w.full, nil
}

// errFull stops a reader once the text is long enough.
var errFull = errors.New("extract: text limit reached")

// writer collects text up to max bytes, with at most one blank line in a
// row, and tells the readers when to stop: text full or time up.
type writer struct {
	ctx  context.Context
	b    []byte
	max  int
	full bool
	ops  int
}

// check reports errFull or ErrTimeout; cheap enough to call per operator.
func (w *writer) check() error {
	if w.full {
		return errFull
	}
	if w.ops++; w.ops%256 == 0 && w.ctx.Err() != nil {
		return ErrTimeout
	}
	return nil
}

func (w *writer) text(s string) {
	if w.full || s == "" {
		return
	}
	if w.max > 0 && len(w.b)+len(s) > w.max {
		s = cutUTF8(s, w.max-len(w.b))
		w.full = true
	}
	w.b = append(w.b, s...)
}

func (w *writer) last() byte {
	if len(w.b) == 0 {
		return 0
	}
	return w.b[len(w.b)-1]
}

// space writes a space unless the text is empty or already ends in white space.
func (w *writer) space() {
	if c := w.last(); c != 0 && c != ' ' && c != '\n' && c != '\t' {
		w.text(" ")
	}
}

// newline ends the line; two end a paragraph (never more).
func (w *writer) newline() {
	for !w.full && (w.last() == ' ' || w.last() == '\t') {
		w.b = w.b[:len(w.b)-1]
	}
	if n := len(w.b); n > 0 && !(n > 1 && w.b[n-1] == '\n' && w.b[n-2] == '\n') {
		w.text("\n")
	}
}

func (w *writer) paragraph() {
	w.newline()
	w.newline()
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
