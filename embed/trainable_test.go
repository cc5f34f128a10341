package embed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// topicCorpus makes n texts on three topics that share no content word, so
// that only co-occurrence can relate "bloat" to "vacuum".
func topicCorpus(n int, seed uint64) []string {
	topics := [][]string{
		strings.Fields("vacuum dead tuples reclaim storage bloat autovacuum freeze table space"),
		strings.Fields("replication standby primary failover streaming wal archive promote replica lag"),
		strings.Fields("password authentication ldap certificate login role kerberos hba trust grant"),
	}
	glue := strings.Fields("the a of and to in is it for with")
	rng := rand.New(rand.NewPCG(seed, 7))
	texts := make([]string, n)
	for i := range texts {
		words := topics[i%len(topics)]
		var sb strings.Builder
		for j := range 30 {
			if j%3 == 2 {
				sb.WriteString(glue[rng.IntN(len(glue))] + " ")
			}
			sb.WriteString(words[rng.IntN(len(words))] + " ")
		}
		texts[i] = sb.String()
	}
	return texts
}

func fitted(t *testing.T, texts []string) *Builtin {
	t.Helper()
	b := NewBuiltin(BuiltinOptions{})
	if err := b.Fit(context.Background(), slices.Values(texts)); err != nil {
		t.Fatal(err)
	}
	return b
}

func embedOne(t *testing.T, e Embedder, text string) []float32 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatal(err)
	}
	return v[0]
}

func TestFitRelatesCooccurringWords(t *testing.T) {
	corpus := topicCorpus(300, 1)
	before := NewBuiltin(BuiltinOptions{})
	after := fitted(t, corpus)

	if !strings.HasPrefix(after.Model(), "builtin/lsa-v2-512+") || after.Model() == before.Model() {
		t.Errorf("Model() after Fit = %q (before %q): want a new builtin/lsa-v2-512+… name", after.Model(), before.Model())
	}
	if after.Dims() <= 512 || len(embedOne(t, after, "bloat")) != after.Dims() {
		t.Errorf("Dims() = %d, vector length %d", after.Dims(), len(embedOne(t, after, "bloat")))
	}
	// "bloat" shares no word with either text: only the latent part can
	// tell that it belongs with vacuum.
	q, same, other := "bloat", "vacuum reclaims dead tuples", "standby failover and promote"
	for _, tc := range []struct {
		e        *Builtin
		wantNear bool
	}{{before, false}, {after, true}} {
		cs := cosine(embedOne(t, tc.e, q), embedOne(t, tc.e, same))
		co := cosine(embedOne(t, tc.e, q), embedOne(t, tc.e, other))
		if near := cs > co+0.2; near != tc.wantNear {
			t.Errorf("%s: cos(q, same topic) %.3f, cos(q, other topic) %.3f; want related: %v", tc.e.Model(), cs, co, tc.wantNear)
		}
	}
}

func TestFitIsDeterministicAndOrderFree(t *testing.T) {
	corpus := topicCorpus(200, 2)
	shuffled := slices.Clone(corpus)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	a, b := fitted(t, corpus), fitted(t, shuffled)
	if a.Model() != b.Model() {
		t.Errorf("same corpus in another order gives %q and %q", a.Model(), b.Model())
	}
	va, vb := embedOne(t, a, corpus[0]), embedOne(t, b, corpus[0])
	if !slices.Equal(va, vb) {
		t.Error("same corpus in another order gives other vectors")
	}
	c := fitted(t, topicCorpus(200, 3))
	if c.Model() == a.Model() {
		t.Errorf("another corpus gives the same model name %q", c.Model())
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	corpus := topicCorpus(300, 4)
	a := fitted(t, corpus)
	data, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuiltin(BuiltinOptions{})
	if err := b.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if a.Model() != b.Model() {
		t.Errorf("Model() %q after reload, %q after Fit", b.Model(), a.Model())
	}
	texts := append(slices.Clone(corpus[:5]), "bloat", "unknownword entirely")
	va, err := a.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := b.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if !slices.Equal(va[i], vb[i]) {
			t.Errorf("text %d: vectors differ after reload", i)
		}
	}
	again, _ := b.MarshalBinary()
	if !bytes.Equal(data, again) {
		t.Error("marshal → unmarshal → marshal changed the bytes")
	}
}

func TestUnmarshalRejectsBadData(t *testing.T) {
	data, err := fitted(t, topicCorpus(90, 5)).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		data     []byte
		dims     int
		wantText string
	}{
		{"empty", nil, 0, "bad magic"},
		{"other format", []byte("PK\x03\x04zipfile"), 0, "bad magic"},
		{"newer version", append([]byte(modelMagic), modelVersion+1), 0, fmt.Sprintf("version %d", modelVersion+1)},
		{"other dims", data, 256, "fitted for 512 dims, this embedder has 256"},
		{"trailing bytes", append(slices.Clone(data), 0), 0, "trailing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := NewBuiltin(BuiltinOptions{Dims: tc.dims}).UnmarshalBinary(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("err = %v, want %q", err, tc.wantText)
			}
		})
	}
	// Every truncation is an error, never a panic or a half-loaded model.
	for n := 0; n < len(data); n += 1 + n/50 {
		b := NewBuiltin(BuiltinOptions{})
		if err := b.UnmarshalBinary(data[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(data))
		}
		if strings.HasPrefix(b.Model(), "builtin/lsa") {
			t.Fatalf("truncated to %d bytes: model half-loaded", n)
		}
	}
}

func TestMarshalBeforeFit(t *testing.T) {
	if _, err := NewBuiltin(BuiltinOptions{}).MarshalBinary(); err == nil {
		t.Error("MarshalBinary before Fit: no error")
	}
}

func TestFitErrors(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	if err := b.Fit(context.Background(), slices.Values([]string(nil))); err == nil || !strings.Contains(err.Error(), "no texts") {
		t.Errorf("no texts: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Fit(ctx, slices.Values(topicCorpus(10, 1))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if strings.HasPrefix(b.Model(), "builtin/lsa") {
		t.Errorf("a failed Fit changed the model: %s", b.Model())
	}
	// Cancelled midway, Fit stops reading texts (its workers hold a few
	// batches at most).
	ctx, cancel = context.WithCancel(context.Background())
	read := 0
	texts := func(yield func(string) bool) {
		for read = 0; read < 100_000; read++ {
			if read == 1000 {
				cancel()
			}
			if !yield("vacuum reclaims the storage of dead tuples") {
				return
			}
		}
	}
	if err := b.Fit(ctx, texts); !errors.Is(err, context.Canceled) || read > 1000+scanBatchSize {
		t.Errorf("cancelled after 1,000 texts: err = %v, %d texts read", err, read)
	}
	// Text without content words still fits (IDF only, no latent part).
	if err := b.Fit(context.Background(), slices.Values([]string{"the and of", "a to it"})); err != nil {
		t.Errorf("stop words only: %v", err)
	}
	if v := embedOne(t, b, "vacuum"); len(v) != b.Dims() {
		t.Errorf("after a degenerate Fit: %d dims, Dims() %d", len(v), b.Dims())
	}
}

func TestDrift(t *testing.T) {
	corpus := topicCorpus(300, 6)
	b := fitted(t, corpus)
	// As many content words per text as the corpus (20), on a new topic.
	other := make([]string, 150)
	for i := range other {
		other[i] = strings.Repeat(fmt.Sprintf("kubernetes helm chart ingress pod%d ", i), 4)
	}
	cases := []struct {
		name     string
		texts    []string
		min, max float64
	}{
		{"same corpus", corpus, 0, 0.01},
		{"same topics, other sample", topicCorpus(300, 7), 0, 0.1},
		{"half new topic", append(slices.Clone(corpus[:150]), other...), 0.4, 0.6},
		{"all new", other, 0.95, 1},
		{"nothing", nil, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := b.Drift(slices.Values(tc.texts)); d < tc.min || d > tc.max {
				t.Errorf("Drift = %.3f, want %.2f..%.2f", d, tc.min, tc.max)
			}
		})
	}
	if d := NewBuiltin(BuiltinOptions{}).Drift(slices.Values(corpus)); d != 1 {
		t.Errorf("Drift before Fit = %v, want 1", d)
	}
}

func TestEmbedWhileFitting(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	corpus := topicCorpus(150, 8)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				vecs, err := b.Embed(context.Background(), corpus[:10])
				if err != nil {
					t.Error(err)
					return
				}
				for _, v := range vecs {
					if len(v) != 512 && len(v) <= 512 {
						t.Errorf("vector of %d dims", len(v))
					}
				}
			}
		}()
	}
	if err := b.Fit(context.Background(), slices.Values(corpus)); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

// FuzzUnmarshalBinary: no input makes UnmarshalBinary panic, and whatever it
// accepts embeds. go test ./embed -fuzz FuzzUnmarshalBinary -fuzztime 30s
func FuzzUnmarshalBinary(f *testing.F) {
	b := NewBuiltin(BuiltinOptions{Dims: 64})
	if err := b.Fit(context.Background(), slices.Values(topicCorpus(60, 1))); err != nil {
		f.Fatal(err)
	}
	data, err := b.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(modelMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := NewBuiltin(BuiltinOptions{Dims: 64})
		if err := e.UnmarshalBinary(data); err != nil {
			return
		}
		vecs, err := e.Embed(context.Background(), []string{"vacuum bloat", "the"})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vecs {
			if n := cosine(v, v); math.IsNaN(n) || math.Abs(n-1) > 1e-4 {
				t.Fatalf("accepted model embeds to a vector of norm² %v", n)
			}
		}
		e.Drift(slices.Values([]string{"vacuum"}))
	})
}
