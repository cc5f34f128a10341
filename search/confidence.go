package search

// WeakBelow is the Confidence under which an answer is weak: its best
// pages hold less than half of what the question's words weigh.
const WeakBelow = 0.5

// Confidence says how sure a search's answer is, from 0 to 1, and whether
// it is weak: the largest Coverage among the first three results. A
// question whose answer is in the index shares its rare words with the
// pages that hold it; one about something the index lacks finds, at best,
// pages sharing its common words, while its rare words (a product, a
// subject) are found nowhere and weigh the most. Measured on the pgdocs
// question sets and questions the manual does not answer (BENCHMARKS.md),
// the margins between scores and the agreement of the keyword and vector
// rankings told the two apart far less well than this. Results of a
// search that is not the index's own (no Coverage) give 0 and weak.
func Confidence(rs []Result) (confidence float64, weak bool) {
	for _, r := range rs[:min(3, len(rs))] {
		confidence = max(confidence, r.Coverage)
	}
	return confidence, confidence < WeakBelow
}
