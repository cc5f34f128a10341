package retrieve

import (
	"regexp"
	"strings"
)

// Jira's wiki markup, as the REST API returns an issue's description when
// the rendered fields are not asked for (the live fallback does not ask).
var (
	jiraHeading = regexp.MustCompile(`^h([1-6])\.\s+`)
	jiraList    = regexp.MustCompile(`^([*#-]+)\s+`)
	jiraLink    = regexp.MustCompile(`\[([^\[\]|]*)\|[^\[\]]*\]`)
	jiraMention = regexp.MustCompile(`\[~([^\[\]]+)\]`)
	jiraMono    = regexp.MustCompile(`\{\{(.+?)\}\}`)
	jiraMacro   = regexp.MustCompile(`^\{(code|noformat)(:[^}]*)?\}`)
	jiraBlock   = regexp.MustCompile(`\{(panel|quote|color|info|note|tip|warning)(:[^}]*)?\}`)
)

// jiraWikiMarkdown rewrites the Jira wiki markup that matters to a snippet
// as the markdown search.MarkdownSnippet reads: headings, lists, tables, code and
// noformat blocks, links, mentions and monospace. Text is never added.
func jiraWikiMarkdown(s string) string {
	var b strings.Builder
	code := false
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		trim := strings.TrimSpace(line)
		if m := jiraMacro.FindString(trim); m != "" {
			// {code} opens and closes a block; text after it on the line
			// is code too.
			code = !code
			b.WriteString("```\n")
			if rest := strings.TrimSpace(trim[len(m):]); rest != "" {
				b.WriteString(rest + "\n")
			}
			continue
		}
		if code {
			b.WriteString(line + "\n")
			continue
		}
		trim = jiraBlock.ReplaceAllString(trim, " ")
		switch {
		case jiraHeading.MatchString(trim):
			m := jiraHeading.FindStringSubmatch(trim)
			trim = strings.Repeat("#", int(m[1][0]-'0')) + " " + trim[len(m[0]):]
		case strings.HasPrefix(trim, "bq. "):
			trim = "> " + trim[4:]
		case strings.HasPrefix(trim, "||"):
			trim = "| " + strings.ReplaceAll(trim[2:], "||", " | ")
		case jiraList.MatchString(trim) && !strings.HasPrefix(trim, "----"):
			trim = "- " + trim[len(jiraList.FindString(trim)):]
		}
		trim = jiraLink.ReplaceAllString(trim, "[$1]")
		trim = jiraMention.ReplaceAllString(trim, "$1")
		trim = jiraMono.ReplaceAllString(trim, "`$1`")
		b.WriteString(trim + "\n")
	}
	return b.String()
}
