package markup

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/marker"
	nethtml "golang.org/x/net/html"
)

// renderTableRecords renders a table the table plugin refused (cells holding lists, headings,
// code or nested tables, which a markdown table cannot hold) as one record per row: a list of
// "**Header:** value" items, so every value keeps the name of its column.
func renderTableRecords(ctx converter.Context, w converter.Writer, n *nethtml.Node) converter.RenderStatus {
	if n.Data != "table" {
		return converter.RenderTryNext
	}
	rows := tableRows(n)
	if len(rows) == 0 {
		return converter.RenderTryNext
	}
	if inInline(n) {
		// Inside a link or emphasis (broken HTML): keep it on one line.
		var parts []string
		for _, row := range rows {
			var cells []string
			for _, c := range row {
				cells = append(cells, oneLine(renderCell(ctx, c)))
			}
			parts = append(parts, strings.Join(cells, " | "))
		}
		w.WriteString(" " + strings.Join(parts, "; ") + " ")
		return converter.RenderSuccess
	}
	if !isHeaderRow(rows[0]) && (len(rows) == 1 || maxCells(rows) == 1) {
		// A single row or column without headers is layout, not data: its cells are blocks.
		for _, row := range rows {
			for _, c := range row {
				w.WriteString("\n\n" + strings.TrimSpace(renderCell(ctx, c)) + "\n\n")
			}
		}
		return converter.RenderSuccess
	}
	var headers []string
	if isHeaderRow(rows[0]) {
		for _, c := range rows[0] {
			headers = append(headers, strings.TrimSpace(oneLine(renderCell(ctx, c))))
		}
		rows = rows[1:]
	}
	w.WriteString("\n\n")
	for i, row := range rows {
		if len(rows) > 1 {
			w.WriteString("Row " + strconv.Itoa(i+1) + ":\n\n")
		}
		for j, c := range row {
			label := "Column " + strconv.Itoa(j+1)
			if j < len(headers) && headers[j] != "" {
				label = headers[j]
			}
			content := strings.TrimSpace(renderCell(ctx, c))
			w.WriteString("- **" + label + ":**")
			switch {
			case content == "":
			case !strings.Contains(content, "\n"):
				w.WriteString(" " + content)
			default:
				w.WriteString("\n\n" + indent(content, "  "))
			}
			w.WriteString("\n")
		}
		w.WriteString("\n\n")
	}
	return converter.RenderSuccess
}

// escapeCodePipes writes "\|" for the pipes inside the code spans of every table below n that
// the table plugin will render as a markdown table: GFM splits cells before it reads code
// spans, so an unescaped pipe there ends the cell. Tables the plugin refuses (see
// renderTableRecords) keep their code as it is.
func escapeCodePipes(n *nethtml.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, "table") && isPlainTable(c) {
			forEachCellCode(c, func(t *nethtml.Node) {
				t.Data = strings.ReplaceAll(t.Data, "|", `\|`)
			})
			continue
		}
		escapeCodePipes(c)
	}
}

// isPlainTable mirrors the table plugin's refusals: blocks inside the table, or a link or
// emphasis around it.
func isPlainTable(table *nethtml.Node) bool {
	if inInline(table) {
		return false
	}
	plain := true
	var walk func(*nethtml.Node)
	walk = func(n *nethtml.Node) {
		for c := n.FirstChild; c != nil && plain; c = c.NextSibling {
			switch c.Data {
			case "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "ul", "ol", "blockquote":
				if c.Type == nethtml.ElementNode {
					plain = false
					return
				}
			}
			walk(c)
		}
	}
	walk(table)
	return plain
}

// forEachCellCode calls fn for every text node inside inline code of table.
func forEachCellCode(table *nethtml.Node, fn func(*nethtml.Node)) {
	var walk func(n *nethtml.Node, inCode bool)
	walk = func(n *nethtml.Node, inCode bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == nethtml.TextNode && inCode:
				fn(c)
			case c.Type == nethtml.ElementNode:
				walk(c, inCode || c.Data == "code" || c.Data == "kbd" || c.Data == "samp" || c.Data == "tt" || c.Data == "var")
			}
		}
	}
	walk(table, false)
}

// tableRows collects the cells of the rows of table n, leaving nested tables to their cells.
func tableRows(n *nethtml.Node) [][]*nethtml.Node {
	var rows [][]*nethtml.Node
	var walk func(*nethtml.Node)
	walk = func(p *nethtml.Node) {
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case isElement(c, "tr"):
				var cells []*nethtml.Node
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if isElement(td, "td") || isElement(td, "th") {
						cells = append(cells, td)
					}
				}
				if len(cells) > 0 {
					rows = append(rows, cells)
				}
			case c.Type == nethtml.ElementNode && c.Data != "table":
				walk(c) // thead, tbody, tfoot
			}
		}
	}
	walk(n)
	return rows
}

func maxCells(rows [][]*nethtml.Node) int {
	m := 0
	for _, r := range rows {
		m = max(m, len(r))
	}
	return m
}

// inInline reports whether n sits inside a link or emphasis, where blocks cannot go.
func inInline(n *nethtml.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		switch p.Data {
		case "a", "strong", "b", "em", "i", "code", "span":
			return true
		}
	}
	return false
}

func isHeaderRow(cells []*nethtml.Node) bool {
	for _, c := range cells {
		if c.Data != "th" {
			return false
		}
	}
	return true
}

func renderCell(ctx converter.Context, cell *nethtml.Node) string {
	var buf bytes.Buffer
	ctx.RenderChildNodes(ctx, &buf, cell)
	return buf.String()
}

// indent prefixes every non-empty line of s, including the lines of code blocks, which the
// converter still holds together with its own newline marker at this stage.
func indent(s, prefix string) string {
	nl := string(marker.BytesMarkerCodeBlockNewline)
	s = strings.ReplaceAll(s, nl, nl+prefix)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
