package extract

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestKind(t *testing.T) {
	for _, tc := range []struct{ name, mediaType, want string }{
		{"report.pdf", "application/octet-stream", PDF},
		{"x", "application/pdf", PDF},
		{"Plan.DOCX", "", DOCX},
		{"x", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; charset=binary", XLSX},
		{"deck.pptx", "", PPTX},
		{"old.doc", "application/msword", ""},
		{"notes.txt", "text/plain", ""},
	} {
		if got := Kind(tc.name, tc.mediaType); got != tc.want {
			t.Errorf("Kind(%q, %q) = %q, want %q", tc.name, tc.mediaType, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	story := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		kind string
		data []byte
		want []string // in this order
	}{
		{"docx paragraphs, tab, table", DOCX, docxOf(t, `<w:p><w:r><w:t>Owner:</w:t><w:tab/><w:t xml:space="preserve">Grace </w:t></w:r><w:r><w:t>Singh</w:t></w:r></w:p>`+
			`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b1</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:delText>gone</w:delText><w:t>End</w:t></w:r></w:p>`),
			[]string{"Owner:\tGrace Singh\n", "a1", "b1", "End"}},
		{"real Word document", DOCX, story("story.docx"), []string{"Test File", "Lorem ipsum dolor sit amet, consetetur sadipscing elitr"}},
		{"xlsx sheets in workbook order", XLSX, xlsxOf(t), []string{"## Budget\nItem\tCost\nVPN licences\t1200.5\n", "## Notes\nrenew in May"}},
		{"pptx slides in number order", PPTX, pptxOf(t), []string{"Slide 1\nPlan\nWeek 1: pilot", "Slide 2\nRollout\nWeek 3: everyone"}},
		{"pdf kerning and lines", PDF, kernedPDF(), []string{"Rotate the pager\nevery week"}},
		{"real Word PDF", PDF, story("story.pdf"), []string{"TEST FILE", "Lorem ipsum dolor sit amet, consetetur sadipscing elitr"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, truncated, err := Text(context.Background(), tc.kind, tc.data, DefaultLimits)
			if err != nil || truncated {
				t.Fatalf("err %v, truncated %v", err, truncated)
			}
			rest := text
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q not in (or out of order in) the text:\n%s", w, text)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(text, "gone") {
				t.Errorf("deleted text came back: %s", text)
			}
		})
	}
}

func TestTextLimits(t *testing.T) {
	big := strings.Repeat("<w:p><w:r><w:t>héllo wörld</w:t></w:r></w:p>", 5000)
	for _, tc := range []struct {
		name          string
		kind          string
		data          []byte
		lim           Limits
		err           error
		wantTruncated bool
	}{
		{"text cut at MaxText", DOCX, docxOf(t, big), Limits{MaxText: 1001, MaxInflated: 1 << 30}, nil, true},
		{"inflation bound", DOCX, docxOf(t, big), Limits{MaxText: 1 << 30, MaxInflated: 64 << 10}, ErrMalformed, false},
		{"pdf text cut", PDF, kernedPDF(), Limits{MaxText: 10}, nil, true},
		{"not a zip", DOCX, []byte("PK\x03\x04 not really"), DefaultLimits, ErrMalformed, false},
		{"zip without the part", DOCX, zipOf(t, "a.txt", "hi"), DefaultLimits, ErrMalformed, false},
		{"encrypted office file", XLSX, zipOf(t, "EncryptionInfo", "x"), DefaultLimits, ErrEncrypted, false},
		{"not a pdf", PDF, []byte("%PDF-1.4\ngarbage"), DefaultLimits, ErrMalformed, false},
		{"truncated pdf", PDF, kernedPDF()[:300], DefaultLimits, ErrMalformed, false},
		{"unsupported", "doc", []byte("x"), DefaultLimits, ErrUnsupported, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, truncated, err := Text(context.Background(), tc.kind, tc.data, tc.lim)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if truncated != tc.wantTruncated {
				t.Errorf("truncated %v, want %v", truncated, tc.wantTruncated)
			}
			if tc.lim.MaxText > 0 && len(text) > tc.lim.MaxText {
				t.Errorf("%d bytes of text, over MaxText %d", len(text), tc.lim.MaxText)
			}
			if !utf8.ValidString(text) {
				t.Errorf("text cut inside a character")
			}
		})
	}
}

// TestTextTimeout: an expired deadline stops a reader between operators.
func TestTextTimeout(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	content := strings.Repeat("(x) Tj ", 5000)
	_, _, err := Text(ctx, PDF, pdfOf("BT /F1 12 Tf "+content+"ET"), DefaultLimits)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
}

// TestTextHostilePDF: files built to hang, recurse or fill the heap end
// with an error in about the time allowed, and the process survives.
func TestTextHostilePDF(t *testing.T) {
	kids := "/Kids [3 0 R] /Count 1"
	for _, tc := range []struct {
		name  string
		large bool // built from tens of MB: left out with -short
		data  func() []byte
		err   error
	}{
		// Without the read guard, each of these runs for minutes.
		{"operands and no operator", true, func() []byte { return pdfWith(kids, bytes.Repeat([]byte("1 "), 16<<20), true) }, ErrTimeout},
		{"arrays nested deep", true, func() []byte { return pdfWith(kids, bytes.Repeat([]byte("["), 16<<20), true) }, ErrTimeout},
		{"a string without end", true, func() []byte {
			return pdfWith(kids, append([]byte("BT ("), bytes.Repeat([]byte("a"), 32<<20)...), true)
		}, ErrTimeout},
		{"page tree cycle", false, func() []byte { return pdfWith("/Kids [2 0 R 3 0 R] /Count 5", []byte("BT /F1 9 Tf (x) Tj ET"), false) }, nil},
		{"page count lies", false, func() []byte {
			return pdfWith("/Kids [3 0 R] /Count 999999999", []byte("BT /F1 9 Tf (x) Tj ET"), false)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.large {
				t.Skip("-short: building the large files takes most of a minute under -race")
			}
			lim := DefaultLimits
			lim.Timeout = 300 * time.Millisecond
			if tc.err == ErrTimeout {
				// No machine reads these tens of MB in a millisecond, so the
				// guard must stop them; at 300 ms a fast one lexed the
				// string to its end and found nothing wrong.
				lim.Timeout = time.Millisecond
			}
			_, _, err := Text(context.Background(), PDF, tc.data(), lim)
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("err %v: none of the package's", err)
			}
		})
	}
}

// TestTextWaitsForASlot: with every slot taken, an extraction waits, and
// one that waits past its timeout gives ErrTimeout; a freed slot lets the
// next one run.
func TestTextWaitsForASlot(t *testing.T) {
	for range cap(running) {
		running <- struct{}{}
	}
	release := func() {
		for len(running) > 0 {
			<-running
		}
	}
	defer release()
	doc := pdfOf("BT /F1 12 Tf (slot) Tj ET")
	lim := DefaultLimits
	lim.Timeout = 50 * time.Millisecond
	if _, _, err := Text(context.Background(), PDF, doc, lim); !errors.Is(err, ErrTimeout) {
		t.Fatalf("with no slot free: err %v, want ErrTimeout", err)
	}
	release()
	got, _, err := Text(context.Background(), PDF, doc, lim)
	if err != nil || !strings.Contains(got, "slot") {
		t.Fatalf("with a slot free: %q, %v", got, err)
	}
}
