package markup

import (
	"strings"
	"testing"
)

// survival is the share of the elements of before that after still has.
func survival(before, after string) float64 {
	n := len(features(before))
	if n == 0 {
		return 1
	}
	return float64(n-len(lostElements(before, after))) / float64(n)
}

// TestEditSurvival is the measurement: on a page with 50 storage features, read the
// page as markdown, change one word and write it back. The old path (StorageToMarkdown, then
// MarkdownToStorage) keeps a fraction of the features; the round trip must keep them all.
func TestEditSurvival(t *testing.T) {
	page := readFile(t, "testdata/edit/features50.xml")
	if n := len(features(page)); n != 50 {
		t.Fatalf("features50.xml has %d features, want 50", n)
	}
	const word, by = "rollout", "migration"

	lossy, err := StorageToMarkdown(page, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	old, err := MarkdownToStorage(strings.Replace(lossy, word, by, 1), testOptions)
	if err != nil {
		t.Fatal(err)
	}

	md, err := EditableMarkdown(page, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(md, word, by, 1)
	if edited == md {
		t.Fatalf("%q not in the markdown", word)
	}
	out, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions})
	if err != nil {
		t.Fatal(err)
	}
	before, after := survival(page, old), survival(page, out)
	t.Logf("features kept after a one-word edit: StorageToMarkdown+MarkdownToStorage %.0f %%, EditableMarkdown+ApplyMarkdown %.0f %%", 100*before, 100*after)
	if after != 1 {
		t.Errorf("the round trip lost %v", lostElements(page, out))
	}
	if canonicalXML(out) != canonicalXML(strings.Replace(page, word, by, 1)) {
		t.Errorf("the round trip changed more than the word")
	}
}

// BenchmarkEditableMarkdown renders a rich page both ways and reports the bytes of the
// markdown get_page returns (md-B) next to those of the lossy rendering (lossy-md-B).
func BenchmarkEditableMarkdown(b *testing.B) {
	for _, f := range []string{"storage_tables_expand_code_toc.ecmwf.xml", "storage_layout_panels_images.ecmwf.xml", "features50.xml"} {
		page := readFile(b, "testdata/edit/"+f)
		b.Run(strings.TrimSuffix(f, ".xml"), func(b *testing.B) {
			lossy, err := StorageToMarkdown(page, testOptions)
			if err != nil {
				b.Fatal(err)
			}
			var md string
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				if md, err = EditableMarkdown(page, testOptions); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(page)), "storage-B")
			b.ReportMetric(float64(len(lossy)), "lossy-md-B")
			b.ReportMetric(float64(len(md)), "md-B")
		})
	}
}

// BenchmarkApplyMarkdown applies a one-word edit to the large ECMWF page: the cost of an
// update on top of the REST calls.
func BenchmarkApplyMarkdown(b *testing.B) {
	page := readFile(b, "testdata/edit/storage_tables_expand_code_toc.ecmwf.xml")
	md, err := EditableMarkdown(page, testOptions)
	if err != nil {
		b.Fatal(err)
	}
	edited := strings.Replace(md, "replay", "rerun", 1)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyMarkdown(page, edited, ApplyOptions{Options: testOptions}); err != nil {
			b.Fatal(err)
		}
	}
}
