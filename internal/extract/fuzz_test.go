package extract

import (
	"context"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzText feeds any bytes to each reader: no panic, no hang, no text past
// the limit or invalid UTF-8, and no error but the package's own.
func FuzzText(f *testing.F) {
	kinds := []string{PDF, DOCX, XLSX, PPTX}
	// Small seeds only: the real documents of testdata (50-70 KB) slow the
	// fuzzer to a few executions a second; TestText reads them.
	f.Add(kernedPDF(), uint8(0))
	f.Add(pdfOf("BT /F1 12 Tf /X0 Do [(a)-300(b)] TJ ET"), uint8(0))
	f.Add(docxOf(f, `<w:p><w:r><w:t>x</w:t><w:tab/></w:r></w:p>`), uint8(1))
	f.Add(xlsxOf(f), uint8(2))
	f.Add(pptxOf(f), uint8(3))
	lim := Limits{MaxText: 4096, MaxInflated: 1 << 20, MaxPages: 50, Timeout: 2 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		kind := kinds[int(k)%len(kinds)]
		type result struct {
			text string
			err  error
		}
		done := make(chan result, 1)
		go func() {
			text, _, err := Text(context.Background(), kind, data, lim)
			done <- result{text, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(5 * lim.Timeout):
			t.Fatalf("%s: no answer within %v for %d bytes (timeout %v): a hang", kind, 5*lim.Timeout, len(data), lim.Timeout)
		}
		text, err := r.text, r.err
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrTimeout) {
			t.Errorf("%s: error %v is none of the package's", kind, err)
		}
		if len(text) > lim.MaxText || !utf8.ValidString(text) {
			t.Errorf("%s: %d bytes of text (limit %d), valid UTF-8 %v", kind, len(text), lim.MaxText, utf8.ValidString(text))
		}
	})
}
