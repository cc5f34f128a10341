package markup

import (
	"sync"
	"testing"
)

// TestConcurrentUse runs every converter from many goroutines on the same inputs; with -race it
// shows that the package shares no mutable state between calls.
func TestConcurrentUse(t *testing.T) {
	storage := readFile(t, "testdata/storage/macros.xml")
	html := readFile(t, "testdata/html/jira_rendered.html")
	md := readFile(t, "testdata/md/canonical.md")
	wantMD, err := StorageToMarkdown(storage, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	wantStorage, err := MarkdownToStorage(md)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if got, _ := StorageToMarkdown(storage, testOptions); got != wantMD {
					t.Error("StorageToMarkdown differs under concurrency")
				}
				if _, err := HTMLToMarkdown(html, Options{}); err != nil {
					t.Error(err)
				}
				if got, _ := MarkdownToStorage(md); got != wantStorage {
					t.Error("MarkdownToStorage differs under concurrency")
				}
				_ = MarkdownToWiki(md)
			}
		}()
	}
	wg.Wait()
}
