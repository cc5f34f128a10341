package httpretry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

var errBusy = errors.New("busy")

// recorder replaces Policy.Sleep and keeps the waits.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestDo(t *testing.T) {
	always := func(error) (time.Duration, bool) { return 0, true }
	never := func(error) (time.Duration, bool) { return 0, false }
	tests := []struct {
		name     string
		retries  int
		retry    func(error) (time.Duration, bool)
		failures int // attempts that fail before one succeeds
		want     int // attempts made
		wantErr  bool
	}{
		{"first try", 3, always, 0, 1, false},
		{"two failures then ok", 3, always, 2, 3, false},
		{"retries spent", 3, always, 10, 4, true},
		{"policy says final", 3, never, 10, 1, true},
		{"no policy", 3, nil, 10, 1, true},
		{"no retries", 0, always, 10, 1, true},
		{"negative retries", -1, always, 10, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			p := Policy{Retries: tc.retries, Wait: time.Second, MaxWait: 8 * time.Second, Retry: tc.retry, Sleep: rec.sleep}
			calls := 0
			n, err := p.Do(t.Context(), func(context.Context) error {
				calls++
				if calls <= tc.failures {
					return errBusy
				}
				return nil
			})
			if n != tc.want || calls != tc.want {
				t.Errorf("attempts = %d (%d calls), want %d", n, calls, tc.want)
			}
			if (err != nil) != tc.wantErr || err != nil && !errors.Is(err, errBusy) {
				t.Errorf("err = %v, want an error: %v", err, tc.wantErr)
			}
			if len(rec.waits) != tc.want-1 {
				t.Errorf("waits %v, want %d", rec.waits, tc.want-1)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	p := Policy{Wait: time.Second, MaxWait: 10 * time.Second}
	for _, tc := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},  // capped at MaxWait
		{80, 5 * time.Second, 10 * time.Second}, // the shift overflows
	} {
		for range 50 {
			if d := p.Backoff(tc.n); d < tc.lo || d > tc.hi {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.n, d, tc.lo, tc.hi)
			}
		}
	}
	if d := (Policy{}).Backoff(3); d != 0 {
		t.Errorf("zero policy: Backoff = %v, want 0", d)
	}
}

func TestDoRetryAfter(t *testing.T) {
	tests := []struct {
		name     string
		after    time.Duration
		max      time.Duration
		wantWait time.Duration // at least
		wantErr  string
	}{
		{"longer than the backoff wins", 7 * time.Second, 0, 7 * time.Second, ""},
		{"shorter than the backoff loses", time.Millisecond, 0, 500 * time.Millisecond, ""},
		{"beyond MaxWait when unlimited", time.Hour, 0, time.Hour, ""},
		{"beyond MaxRetryAfter", time.Hour, time.Minute, 0, "server asks to retry after 1h0m0s (more than 1m0s): busy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			p := Policy{Retries: 1, Wait: time.Second, MaxWait: 2 * time.Second, MaxRetryAfter: tc.max, Sleep: rec.sleep,
				Retry: func(error) (time.Duration, bool) { return tc.after, true }}
			calls := 0
			_, err := p.Do(t.Context(), func(context.Context) error {
				if calls++; calls == 1 {
					return errBusy
				}
				return nil
			})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, errBusy) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.waits) != 1 || rec.waits[0] < tc.wantWait || rec.waits[0] > max(tc.wantWait, time.Second) {
				t.Errorf("waits %v, want one of about %v", rec.waits, tc.wantWait)
			}
		})
	}
}

func TestDoCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := Policy{Retries: 3, Wait: time.Hour, Retry: func(error) (time.Duration, bool) { return 0, true },
		OnRetry: func(int, time.Duration, error) { cancel() }}
	n, err := p.Do(ctx, func(context.Context) error { return errBusy })
	if n != 1 || !errors.Is(err, errBusy) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("attempts %d, err = %v, want the failure and the cancellation", n, err)
	}
	// A caller that has gone is not retried, nor its policy asked.
	asked := false
	p.Retry = func(error) (time.Duration, bool) { asked = true; return 0, true }
	if n, _ := p.Do(ctx, func(context.Context) error { return errBusy }); n != 1 || asked {
		t.Errorf("attempts %d, policy asked %v, after the context ended", n, asked)
	}
}

func TestDoTimeout(t *testing.T) {
	p := Policy{Timeout: 20 * time.Millisecond}
	_, err := p.Do(t.Context(), func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("read: %w", ctx.Err())
	})
	if !errors.Is(err, ErrTimeout) || err.Error() != "no answer within 20ms: read: context deadline exceeded" {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	// The caller's own deadline is not the attempt's timeout.
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	p.Timeout = time.Hour
	_, err = p.Do(ctx, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	// An answer is never a timeout, even one that arrived as time ran out.
	p.Timeout = 20 * time.Millisecond
	_, err = p.Do(t.Context(), func(ctx context.Context) error { <-ctx.Done(); return errBusy })
	if errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v: an answer taken for a timeout", err)
	}
}

func TestDoGate(t *testing.T) {
	var events []string
	p := Policy{
		Retries: 1,
		Timeout: 20 * time.Millisecond,
		Retry:   func(error) (time.Duration, bool) { return 0, true },
		Sleep:   func(context.Context, time.Duration) error { return nil },
		Gate: func(ctx context.Context) (func(), error) {
			events = append(events, "enter")
			time.Sleep(40 * time.Millisecond) // queueing does not count against Timeout
			return func() { events = append(events, "leave") }, nil
		},
	}
	calls := 0
	_, err := p.Do(t.Context(), func(ctx context.Context) error {
		if ctx.Err() != nil {
			t.Error("the gate's wait ate the attempt's timeout")
		}
		events = append(events, "try")
		if calls++; calls == 1 {
			return errBusy
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, " "); got != "enter try leave enter try leave" {
		t.Errorf("events %q", got)
	}
	p.Gate = func(context.Context) (func(), error) { return nil, errBusy }
	if n, err := p.Do(t.Context(), func(context.Context) error { t.Error("tried without the gate"); return nil }); !errors.Is(err, errBusy) || n != 2 {
		t.Errorf("attempts %d, err = %v, want the gate's error after 2 attempts", n, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"fraction", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"negative", http.Header{"Retry-After": {"-3"}}, 0},
		{"date", http.Header{"Retry-After": {now.Add(20 * time.Second).Format(http.TimeFormat)}}, 20 * time.Second},
		{"date passed", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"milliseconds win", http.Header{"Retry-After-Ms": {"2500"}, "Retry-After": {"3"}}, 2500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RetryAfter(tc.header, now); got != tc.want {
				t.Errorf("RetryAfter = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFailureFacts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := http.Get("http://" + addr)
	tests := []struct {
		name                      string
		err                       error
		refused, notSent, dropped bool
	}{
		{"refused", refused, true, true, false},
		{"dial failed", &net.OpError{Op: "dial", Err: syscall.EHOSTUNREACH}, false, true, false},
		{"no such host", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}, false, false, false},
		{"DNS server failed", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "timeout", Name: "x", IsTemporary: true}}, false, true, false},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), false, false, true},
		{"closed mid-answer", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false, false, true},
		{"other", errBusy, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error to classify")
			}
			if got := Refused(tc.err); got != tc.refused {
				t.Errorf("Refused = %v", got)
			}
			if got := NotSent(tc.err); got != tc.notSent {
				t.Errorf("NotSent = %v", got)
			}
			if got := Dropped(tc.err); got != tc.dropped {
				t.Errorf("Dropped = %v", got)
			}
		})
	}
	for status, want := range map[int][2]bool{429: {true, false}, 503: {true, false}, 502: {false, true}, 504: {false, true}, 500: {false, false}, 404: {false, false}} {
		if Unprocessed(status) != want[0] || GatewayFailure(status) != want[1] {
			t.Errorf("status %d: Unprocessed %v GatewayFailure %v, want %v", status, Unprocessed(status), GatewayFailure(status), want)
		}
	}
}
