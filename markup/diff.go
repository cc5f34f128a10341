package markup

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change, as in diff -u.
const diffContext = 3

// Diff compares two versions of a page's storage as a unified diff of their editable
// markdown (see EditableMarkdown): "-" lines are only in older, "+" lines only in newer, with
// three lines of context and "@@ -a,b +c,d @@" hunk headers. Equal versions give "".
func Diff(older, newer string, opts Options) (string, error) {
	a, err := EditableMarkdown(older, opts)
	if err != nil {
		return "", err
	}
	b, err := EditableMarkdown(newer, opts)
	if err != nil {
		return "", err
	}
	return unifiedDiff(a, b), nil
}

// unifiedDiff writes the unified diff of two texts, line by line.
func unifiedDiff(a, b string) string {
	if a == b {
		return ""
	}
	al := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	bl := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	match := matchSeq(al, bl)
	// ops: ' ' keeps al[i]=bl[j], '-' drops al[i], '+' adds bl[j].
	type op struct {
		kind byte
		i, j int
	}
	var ops []op
	i := 0
	for j := range bl {
		if match[j] < 0 {
			continue
		}
		for ; i < match[j]; i++ {
			ops = append(ops, op{'-', i, -1})
		}
		ops = append(ops, op{' ', i, j})
		i++
	}
	for ; i < len(al); i++ {
		ops = append(ops, op{'-', i, -1})
	}
	// Insert the added lines after the last op that precedes them in b.
	var out []op
	j := 0
	for _, o := range ops {
		if o.kind == ' ' {
			for ; j < o.j; j++ {
				out = append(out, op{'+', -1, j})
			}
			j = o.j + 1
		}
		out = append(out, o)
	}
	for ; j < len(bl); j++ {
		out = append(out, op{'+', -1, j})
	}

	var w strings.Builder
	for k := 0; k < len(out); {
		if out[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-diffContext)
		end := k
		for end < len(out) {
			if out[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(out) && out[run].kind == ' ' {
				run++
			}
			if run == len(out) || run-end > 2*diffContext {
				end = min(end+diffContext, run)
				break
			}
			end = run
		}
		aStart, bStart, aN, bN := -1, -1, 0, 0
		for _, o := range out[start:end] {
			if o.i >= 0 {
				if aStart < 0 {
					aStart = o.i
				}
				aN++
			}
			if o.j >= 0 {
				if bStart < 0 {
					bStart = o.j
				}
				bN++
			}
		}
		fmt.Fprintf(&w, "@@ -%s +%s @@\n", hunkRange(aStart, aN, out[start:end], true), hunkRange(bStart, bN, out[start:end], false))
		for _, o := range out[start:end] {
			w.WriteByte(o.kind)
			if o.i >= 0 {
				w.WriteString(al[o.i])
			} else {
				w.WriteString(bl[o.j])
			}
			w.WriteByte('\n')
		}
		k = end
	}
	return w.String()
}

// hunkRange formats "start,count" (1-based; for an empty side, the line before it).
func hunkRange[T any](start, n int, _ []T, _ bool) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", max(start, 0))
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
