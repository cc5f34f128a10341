package markup

import "strings"

// splitChunks cuts markdown into the units the edit round trip compares: a block starts after
// a blank line at a line that starts in the first column (or is indented less than code
// outside a list), outside a fenced code block, and a container marker line (":::…") is always
// a unit of its own. Joining the chunks of several
// leaves with blank lines and splitting again gives the same chunks, because every leaf's
// markdown starts in the first column and closes its fences.
func splitChunks(md string) []string {
	var out []string
	var cur []string
	flush := func() {
		for len(cur) > 0 && strings.TrimSpace(cur[len(cur)-1]) == "" {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur = cur[:0]
	}
	lines := strings.Split(md, "\n")
	fence := ""
	fenceLine, fenceCur := 0, 0 // where the open fence started, in lines and in cur
	blank := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if fence != "" {
			cur = append(cur, line)
			if f := fenceRun(line); f != "" && f[0] == fence[0] && len(f) >= len(fence) &&
				strings.TrimSpace(strings.TrimLeft(line, " ")[len(f):]) == "" {
				fence = ""
			}
			if fence != "" && i == len(lines)-1 {
				// Never closed: rather than let it swallow the rest of the page, end it
				// at its first blank line before a line in the first column.
				for k := fenceLine + 2; k < len(lines); k++ {
					if strings.TrimSpace(lines[k-1]) == "" && lines[k] != "" && lines[k][0] != ' ' && lines[k][0] != '\t' {
						cur = cur[:fenceCur+k-fenceLine]
						flush()
						fence, blank, i = "", true, k-1
						break
					}
				}
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			blank = true
			if len(cur) > 0 {
				cur = append(cur, "")
			}
			continue
		}
		if isMarkerLine(line) {
			flush()
			out = append(out, strings.TrimRight(line, " \t"))
			blank = false
			continue
		}
		if blank && (line[0] != ' ' && line[0] != '\t' || !continues(cur, line)) {
			flush()
		}
		blank = false
		cur = append(cur, line)
		if f := fenceRun(line); f != "" {
			fence, fenceLine, fenceCur = f, i, len(cur)-1
		}
	}
	flush()
	return out
}

// continues reports whether an indented line after a blank line continues the chunk cur, as
// it does in a list item; elsewhere it starts a paragraph of its own.
func continues(cur []string, line string) bool {
	if len(cur) == 0 {
		return false
	}
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	return isListLine(strings.TrimLeft(cur[0], " ")) || indent >= 4
}

// isMarkerLine reports a container marker: ":::" and more colons in the first column.
func isMarkerLine(line string) bool {
	return strings.HasPrefix(line, fenceMark)
}

// parseMarker reads a marker line: an opening one gives its kind and argument, a closing one
// (colons only) gives ok with an empty kind.
func parseMarker(line string) (kind, arg string) {
	s := strings.TrimLeft(strings.TrimSpace(line), ":")
	s = strings.TrimSpace(s)
	kind, arg, _ = strings.Cut(s, " ")
	return strings.ToLower(strings.TrimSpace(kind)), strings.TrimSpace(arg)
}

// chunkKey is what two chunks are compared by: line ends and trailing white space do not count.
func chunkKey(md string) string {
	if !strings.Contains(md, " \n") && !strings.Contains(md, "\t\n") && !strings.Contains(md, "\r") &&
		!strings.HasSuffix(md, " ") && !strings.HasSuffix(md, "\t") {
		return md
	}
	lines := strings.Split(strings.ReplaceAll(md, "\r", ""), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// matchSeq aligns b to a with a longest common subsequence (Myers' O(ND) algorithm): it
// returns, for each element of b, the index of the element of a it keeps, or -1. When the two
// differ in more than maxEdit elements, the unmatched middle is left unmatched.
func matchSeq(a, b []string) []int {
	m := make([]int, len(b))
	for i := range m {
		m[i] = -1
	}
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		m[pre] = pre
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		m[len(b)-1-suf] = len(a) - 1 - suf
		suf++
	}
	x, y := a[pre:len(a)-suf], b[pre:len(b)-suf]
	for _, p := range myers(x, y) {
		m[pre+p[1]] = pre + p[0]
	}
	return m
}

// maxEdit bounds the edit distance myers searches: its memory grows with the square of it.
const maxEdit = 1000

// myers returns the matched index pairs (i in a, j in b) of a shortest edit script.
func myers(a, b []string) [][2]int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil
	}
	maxD := min(n+m, maxEdit)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		// Keep the diagonals round d reads, -d-1 … d+1.
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return nil
	}
	// Walk back through the snapshots taken before each round.
	var pairs [][2]int
	x, y := n, m
	for d := found; d > 0; d-- {
		vd := trace[d]
		at := func(k int) int { return vd[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY && x > 0 && y > 0 {
			x--
			y--
			pairs = append(pairs, [2]int{x, y})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x--
		y--
		pairs = append(pairs, [2]int{x, y})
	}
	for i, j := 0, len(pairs)-1; i < j; i, j = i+1, j-1 {
		pairs[i], pairs[j] = pairs[j], pairs[i]
	}
	return pairs
}
