package markup

import "strings"

// patchTableRows applies an edit that added, removed or rewrote rows of a table: unchanged
// rows keep their bytes (cell spans, styles, placeholders), new and rewritten rows are
// converted cell by cell into the table's own start tag, column group and body. Only tables
// whose rows share one parent and render one markdown row each are patched.
func (p *page) patchTableRows(l *leaf, md string) (string, bool) {
	if p.wiki || len(l.nodes) != 1 || !l.nodes[0].isElement("table") {
		return "", false
	}
	rows := tableRowsX(l.nodes[0])
	if len(rows) == 0 {
		return "", false
	}
	oldLines, newLines := tableLines(l.md), tableLines(md)
	if len(oldLines) != len(rows) || len(newLines) < 2 {
		return "", false
	}
	for _, r := range rows[1:] {
		if r.parent != rows[0].parent {
			return "", false
		}
	}
	match := matchSeq(oldLines, newLines)
	var b strings.Builder
	b.WriteString(p.src[l.start:rows[0].start])
	for j, line := range newLines {
		if i := match[j]; i >= 0 {
			b.WriteString(p.src[rows[i].start:rows[i].end])
			continue
		}
		cells := splitTableRow(line)
		tag := "td"
		if j == 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			out, err := p.convert(c, nil, l)
			if err != nil {
				return "", false
			}
			out = strings.TrimSuffix(strings.TrimPrefix(out, "<p>"), "</p>")
			b.WriteString("<" + tag + ">" + out + "</" + tag + ">")
		}
		b.WriteString("</tr>")
	}
	last := rows[len(rows)-1]
	b.WriteString(p.src[last.end:l.end])
	return b.String(), true
}

// tableRowsX lists the tr elements of a table, not those of tables nested in its cells.
func tableRowsX(table *xnode) []*xnode {
	var rows []*xnode
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, c := range n.children {
			switch {
			case c.isElement("tr"):
				rows = append(rows, c)
			case c.kind == xElement && c.name != "table":
				walk(c)
			}
		}
	}
	walk(table)
	return rows
}

// tableLines returns the rows of a markdown table without its delimiter row, or nil when md
// is not one table.
func tableLines(md string) []string {
	var out []string
	for i, line := range strings.Split(strings.TrimSpace(md), "\n") {
		if !strings.HasPrefix(line, "|") {
			return nil
		}
		if i == 1 {
			if strings.Trim(line, "|-: ") != "" {
				return nil
			}
			continue
		}
		out = append(out, chunkKey(line))
	}
	return out
}

// splitTableRow splits a markdown table row into its cells' markdown, keeping escaped pipes.
func splitTableRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteString(`\|`)
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// patchWikiTableRows is patchTableRows for a wiki table, whose rows are its lines.
func (p *page) patchWikiTableRows(l *leaf, md string) (string, bool) {
	raw := p.src[l.start:l.end]
	if !p.wiki || !strings.HasPrefix(strings.TrimLeft(raw, " \t"), "|") {
		return "", false
	}
	rows := wikiLines(raw)
	oldLines, newLines := tableLines(l.md), tableLines(md)
	if len(oldLines) != len(rows) || len(newLines) == 0 {
		return "", false
	}
	match := matchSeq(oldLines, newLines)
	out := make([]string, 0, len(newLines))
	for j, line := range newLines {
		if i := match[j]; i >= 0 {
			out = append(out, raw[rows[i].start:rows[i].end])
			continue
		}
		sep := "|"
		if j == 0 && strings.HasPrefix(raw, "||") {
			sep = "||"
		}
		var b strings.Builder
		for _, c := range splitTableRow(line) {
			cell, err := p.convert(c, nil, l)
			if err != nil {
				return "", false
			}
			if cell = strings.TrimSpace(strings.ReplaceAll(cell, "\n", " ")); cell == "" {
				cell = " "
			}
			b.WriteString(sep + cell)
		}
		out = append(out, b.String()+sep)
	}
	return strings.Join(out, p.newline()), true
}
