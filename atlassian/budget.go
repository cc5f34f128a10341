package atlassian

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/internal/httpretry"
)

// budget paces every request of a client (all its workers) by the token
// bucket that Jira and Confluence Data Center announce on every answer:
// X-RateLimit-Limit (capacity), -Remaining (tokens left), -FillRate
// (tokens added each -Interval-Seconds). The bucket is the server's, per
// user; the client keeps its own estimate, lowered to what the server
// says (less the other requests still in flight, which it may not have
// counted yet) and never raised by it. Before the first announcement it
// paces by an assumed budget when given one (Options.AssumedRate), and
// not at all otherwise.
type budget struct {
	mu       sync.Mutex
	inflight int     // requests sent and not yet answered
	known    bool    // the server announced its budget
	assumed  bool    // pacing by an assumed budget until it does
	tokens   float64 // estimated tokens left
	limit    float64
	rate     float64 // tokens per second
	at       time.Time
	waited   time.Duration
}

// take waits until a token is expected and spends it. Every take is
// followed by one release when the request is over.
func (b *budget) take(ctx context.Context) error {
	b.mu.Lock()
	b.inflight++
	if !b.known && !b.assumed {
		b.mu.Unlock()
		return nil
	}
	now := time.Now()
	b.refill(now)
	b.tokens--
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
		b.waited += wait
	}
	b.mu.Unlock()
	if wait > 0 {
		return httpretry.Sleep(ctx, wait)
	}
	return nil
}

// DefaultAssumedRate and DefaultAssumedBurst are the pace a sync keeps
// when the server announces no rate limit: Data Center sends no headers
// when its rate limiting is off, yet the instance is shared with people
// at work. A burst of 50 lets small syncs (an incremental one is a
// handful of requests) run at full speed; 10 requests a second after it
// still fetches 500 issues a second (50 to a request), so a crawl of
// 100,000 issues spends about 20 s waiting, while one client never
// takes more than a few percent of a node's request threads. A server
// that announces its budget is paced by that instead.
const (
	DefaultAssumedRate  = 10
	DefaultAssumedBurst = 50
)

// assume paces by rate tokens a second, from a full bucket of burst,
// until the server announces its budget.
func (b *budget) assume(rate, burst float64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.assumed, b.rate, b.limit, b.tokens, b.at = true, rate, burst, burst, now
}

// release ends a request begun with take.
func (b *budget) release() {
	b.mu.Lock()
	b.inflight--
	b.mu.Unlock()
}

func (b *budget) refill(now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(b.limit, b.tokens+el*b.rate)
		b.at = now
	}
}

// observe reads the rate-limit headers of an answer (a 429's included).
func (b *budget) observe(h http.Header) {
	limit, ok1 := headerFloat(h, "X-RateLimit-Limit")
	left, ok2 := headerFloat(h, "X-RateLimit-Remaining")
	fill, ok3 := headerFloat(h, "X-RateLimit-FillRate")
	every, ok4 := headerFloat(h, "X-RateLimit-Interval-Seconds")
	if !ok1 || !ok2 || !ok3 || !ok4 || limit <= 0 || fill <= 0 || every <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if !b.known {
		b.known, b.assumed, b.tokens, b.at = true, false, left, now
	}
	b.limit, b.rate = limit, fill/every
	b.refill(now)
	b.tokens = math.Min(b.tokens, left-float64(max(0, b.inflight-1)))
}

func headerFloat(h http.Header, name string) (float64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil
}

// Pace is what a client learnt of the server's rate limit.
type Pace struct {
	// Announced tells that the server sent rate-limit headers; Assumed,
	// that it did not and the client kept to its assumed budget.
	Announced, Assumed bool
	// Limit is the bucket's capacity; PerSecond the tokens it regains
	// each second.
	Limit, PerSecond float64
	// Waited is the time requests were held back to stay within it.
	Waited time.Duration
}

// Pace returns the server's rate limit as announced so far and how long
// the client waited for it.
func (c *Client) Pace() Pace {
	b := &c.budget
	b.mu.Lock()
	defer b.mu.Unlock()
	return Pace{Announced: b.known, Assumed: b.assumed, Limit: b.limit, PerSecond: b.rate, Waited: b.waited}
}
