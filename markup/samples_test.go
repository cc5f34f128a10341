package markup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samplesDir holds the real storage bodies collected in shared/atlassian-samples. They are
// LGPL and stay outside the repository: in the dev tree and in CI the shared folder sits next
// to the clone, two levels up from this package.
const samplesDir = "../../shared/atlassian-samples/confluence"

func TestStorageSamples(t *testing.T) {
	if _, err := os.Stat(samplesDir); err != nil {
		t.Skipf("real Confluence samples not found at %s (they live next to the clone, not in it): %v", samplesDir, err)
	}
	cases := []struct {
		file    string
		want    []string // each must appear in the markdown
		notWant []string // none may appear
	}{
		{
			file: "storage_code_macro_links.xml",
			want: []string{
				"int main() {", "return EXIT_SUCCESS;", "```sql\nselect 1\n```",
				"**Hello World Example**", "```java\nclass Simple{", `System.out.println("Hello World !");`,
				"`source some_script.sh <tar.gz file> <ip-address> 22`", "`{{/code}}`",
			},
			notWant: []string{"CDATA", "]] >", "]()"},
		},
		{
			file:    "storage_emoticons.xml",
			want:    []string{"My emoticon:🙂", "Also 😮‍💨", "Several emojis on the same line, no spaces between: 🙂🧐", "Clipboard 📋", "(Lächeln)"},
			notWant: []string{"ac:emoticon"},
		},
		{
			file: "storage_excerpt_include_pagetree_image_link.xml",
			want: []string{
				"[Page B](https://wiki.example.com/confluence/display/DOC/Page+B)",
				"[Under Page A](https://wiki.example.com/confluence/display/DOC/Under+Page+A)",
				"![image.png](image.png)", "[pagetree]", "[pagetree: Page A]", "[excerpt-include: Under Page A]",
			},
		},
		{
			file: "storage_images_attachments.xml",
			want: []string{"![image.png](image.png)", "![some alt text](https://wiki.example.com/confluence/download/attachments/4242/rock.jpg) *some caption1*", "Another paragraph"},
		},
		{
			file: "storage_info_note_tip_misc_macros.xml",
			want: []string{
				"[macro: random-macro]", "[children]", "[macro: plantuml]", "@startgantt", "<style>",
				"[macro: ui-text-box]", "Hello", "> **Tip: My title**\n>\n> Hello tip",
				"> **Note: My title**\n>\n> Hello note", "> **Info: My title**\n>\n> Hello info", "[popular-labels]",
			},
			notWant: []string{"atlassian-macro-output-type", "INLINE"},
		},
		{
			file:    "storage_jira_macros.xml",
			want:    []string{`[Jira query: project = "Confluence test"]`, `[Jira query: project = "Hello toto"]`, "[JAXA-27](https://wiki.example.com/confluence/browse/JAXA-27)"},
			notWant: []string{"520ce16e", "columnIds"},
		},
		{
			file: "storage_layout_tasklist_roadmap_children.confluence80.xml",
			want: []string{
				"> **Tip:** Welcome to your first space.", "# **Core team**", "[macro: roadmap]", "[children]",
				"| Link | Description |", "- [ ] [Customize the name, colour, and icon of Confluence](https://confluence.atlassian.com/x/NgszKw).",
			},
			notWant: []string{"%7B%22title", "ac:layout"},
		},
		{
			file: "storage_lists_status_anchor_tasklist_math.xml",
			want: []string{
				"1. Hello\n2. world\n\n   1. Hello nested", "[STATUS: prio 1 (Red)]", "- [ ] task inside a task", "[toc]",
				"[correctly migrated label](#myanchor)", "\\begin{align}", "170°< [macro: unit]",
			},
			notWant: []string{"myanchor]"},
		},
		{
			file: "storage_panel_tasklist.xml",
			want: []string{"> **Panel:**", "> ### **Welcome to your new space!**", "- [ ] Click the pencil icon ✏️ or `e`", "#### 🪄 Need some inspiration?"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			md, err := StorageToMarkdown(readFile(t, filepath.Join(samplesDir, tc.file)), testOptions)
			if err != nil {
				t.Fatal(err)
			}
			checkNormalized(t, md)
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("markdown lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(md, w) {
					t.Errorf("markdown holds %q", w)
				}
			}
			golden(t, filepath.Join("testdata", "samples", strings.TrimSuffix(tc.file, ".xml")+".golden"), md)
		})
	}
}
