// Package httpretry is the retry loop shared by atlasbridge's HTTP clients
// (package atlassian and the remote embedders of package embed): backoff
// with jitter, a server's Retry-After, a timeout per attempt, and the facts
// about a failure (never sent, dropped, timed out, refused by the server)
// on which a client decides.
//
// What to retry stays each client's own policy, given as Policy.Retry: the
// Atlassian client retries a POST only when it cannot have reached the
// server, while embedding requests are idempotent and retried on any 429 or
// 5xx.
package httpretry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Policy says how often, and after how long, Do tries again. The zero value
// tries once.
type Policy struct {
	// Retries is how many times a failed attempt is tried again (0 or
	// less: never).
	Retries int
	// Wait is the first backoff; it doubles with each retry up to MaxWait
	// (see Backoff).
	Wait, MaxWait time.Duration
	// MaxRetryAfter is the longest Retry-After honoured: a server that asks
	// for more ends the retries with an error that says so. 0 honours any,
	// the context still bounding the wait.
	MaxRetryAfter time.Duration
	// Timeout bounds one attempt (0: none). A failure caused by it is a
	// *TimeoutError, which matches ErrTimeout.
	Timeout time.Duration

	// Retry is the client's policy: it reports whether a failed attempt
	// may be tried again and how long the server asked to wait (0: it did
	// not say). Nil retries nothing. A caller whose context has ended is
	// never retried, and Retry is not asked.
	Retry func(err error) (after time.Duration, ok bool)
	// Gate, when set, is passed before each attempt, outside its Timeout:
	// a cap on requests in flight, a rate limit. Do calls release when the
	// attempt ends.
	Gate func(ctx context.Context) (release func(), err error)
	// OnRetry, when set, hears of each retry before the wait (logging).
	OnRetry func(attempt int, wait time.Duration, err error)
	// Sleep waits d or until ctx ends (nil: a timer). Tests replace it to
	// record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Do calls try until it returns nil, Retry calls a failure final, or the
// retries are spent, and returns the number of attempts made and the last
// failure. try gets a context bounded by Timeout. When ctx ends during a
// wait, the error wraps both the last failure and ctx's error.
func (p Policy) Do(ctx context.Context, try func(ctx context.Context) error) (int, error) {
	for attempt := 1; ; attempt++ {
		err := p.attempt(ctx, try)
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil || attempt > p.Retries || p.Retry == nil {
			return attempt, err
		}
		after, ok := p.Retry(err)
		if !ok {
			return attempt, err
		}
		if p.MaxRetryAfter > 0 && after > p.MaxRetryAfter {
			return attempt, fmt.Errorf("server asks to retry after %v (more than %v): %w", after, p.MaxRetryAfter, err)
		}
		wait := max(p.Backoff(attempt), after)
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		sleep := p.Sleep
		if sleep == nil {
			sleep = Sleep
		}
		if serr := sleep(ctx, wait); serr != nil {
			return attempt, fmt.Errorf("%w (gave up waiting to retry: %w)", err, serr)
		}
	}
}

// attempt passes the gate and runs try once under Timeout.
func (p Policy) attempt(ctx context.Context, try func(ctx context.Context) error) error {
	if p.Gate != nil {
		release, err := p.Gate(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	if p.Timeout <= 0 {
		return try(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	err := try(actx)
	if err != nil && ctx.Err() == nil && timedOut(err) {
		return &TimeoutError{After: p.Timeout, Err: err}
	}
	return err
}

// Backoff is the wait before retry n (n ≥ 1): Wait doubled n-1 times, at
// most MaxWait, drawn at random from the upper half of that, so that clients
// that failed together do not retry in lockstep.
func (p Policy) Backoff(n int) time.Duration {
	b := p.Wait << (n - 1)
	if b > p.MaxWait && p.MaxWait > 0 || b <= 0 {
		b = max(p.MaxWait, 0)
	}
	return b/2 + rand.N(b/2+1)
}

// Sleep waits d, or until ctx ends and then returns its error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrTimeout matches (errors.Is) an attempt that got no complete answer
// within Policy.Timeout.
var ErrTimeout = errors.New("no answer in time")

// TimeoutError is an attempt that ran out of Policy.Timeout.
type TimeoutError struct {
	After time.Duration // the timeout
	Err   error         // what the transport reported
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within %s: %v", e.After, e.Err)
}

// Unwrap returns the transport's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// timedOut reports a transport error caused by a deadline.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// RetryAfter reads how long a server asks to wait: Retry-After in seconds
// or as an HTTP date, or the Retry-After-Ms of OpenAI and Azure. 0 means it
// did not say.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if ms := h.Get("Retry-After-Ms"); ms != "" {
		if n, err := strconv.ParseFloat(ms, 64); err == nil && n > 0 {
			return time.Duration(n * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Unprocessed reports the statuses with which a server refuses a request
// before acting on it (429 Too Many Requests, 503 Service Unavailable):
// trying again is safe whatever the method.
func Unprocessed(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// GatewayFailure reports the statuses of a proxy that lost the server's
// answer (502 Bad Gateway, 504 Gateway Timeout): the server may have acted.
func GatewayFailure(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}

// Refused reports a refused connection: nobody listens at the address.
func Refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// NotSent reports a failure that proves the request never reached the
// server: a refused connection, or a dial that failed for another reason
// than a host name the DNS says does not exist.
func NotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		var dns *net.DNSError
		return !errors.As(err, &dns) || dns.IsTemporary
	}
	return Refused(err)
}

// Dropped reports a connection that broke during the exchange (reset, or
// closed before the whole answer): the server may have acted on the
// request.
func Dropped(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
