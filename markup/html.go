package markup

import (
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	nethtml "golang.org/x/net/html"
)

// htmlRewriter adapts Jira's rendered HTML to the markdown converter: code panels carry their
// language as "code-java" classes, emoticons are images with the emoticon as alt text.
type htmlRewriter struct {
	opts Options
}

func (r *htmlRewriter) preRender(_ converter.Context, doc *nethtml.Node) {
	r.walk(doc)
	flattenDeep(doc, 0, 0)
	r.opts.absolutize(doc)
	plainSpaces(doc)
	escapeCodePipes(doc)
}

func (r *htmlRewriter) walk(n *nethtml.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == nethtml.ElementNode {
			switch {
			case c.Data == "pre":
				if lang := jiraCodeLanguage(attr(c, "class")); lang != "" {
					setAttr(c, "class", "language-"+lang)
				}
			case c.Data == "img" && strings.Contains(attr(c, "class"), "emoticon"):
				replace(c, []*nethtml.Node{text(jiraEmoticon(c))})
				c = next
				continue
			}
			r.walk(c)
		}
		c = next
	}
}

func jiraCodeLanguage(class string) string {
	for _, f := range strings.Fields(class) {
		if lang, ok := strings.CutPrefix(f, "code-"); ok && lang != "none" && lang != "" {
			return lang
		}
	}
	return ""
}

// jiraEmoticon names an emoticon image: Jira renders them with an empty alt, so the file name
// (smile.png, thumbs_up.png, …) is mapped to the emoji.
func jiraEmoticon(n *nethtml.Node) string {
	if alt := attr(n, "alt"); alt != "" {
		return alt
	}
	src := attr(n, "src")
	stem := src[strings.LastIndex(src, "/")+1:]
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	if e, ok := jiraEmoticons[stem]; ok {
		return e
	}
	if e, ok := namedEmoticons[stem]; ok {
		return e
	}
	return ""
}

var jiraEmoticons = map[string]string{
	"tongue": "😛", "biggrin": "😀", "thumbs_up": "👍", "thumbs_down": "👎", "check": "✅",
	"error": "❌", "add": "➕", "forbidden": "➖", "help_16": "❓", "lightbulb_on": "💡",
	"lightbulb": "💡", "star_yellow": "⭐", "star_red": "⭐", "star_green": "⭐",
	"star_blue": "⭐", "flag": "🚩", "flag_grey": "🏳️",
}
