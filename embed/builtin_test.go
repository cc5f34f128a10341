package embed

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestBuiltinVectors(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	texts := []string{
		"Vacuuming reclaims storage occupied by dead tuples.",
		"vacuum reclaims the storage of dead rows",
		"The JIT compiler turns expressions into machine code.",
		"the",
		"???",
		strings.Repeat("word ", 5000),
	}
	vecs, err := b.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(vecs), len(texts))
	}
	for i, v := range vecs {
		if len(v) != DefaultBuiltinDims {
			t.Errorf("vector %d has %d dims, want %d", i, len(v), DefaultBuiltinDims)
		}
		if n := math.Sqrt(cosine(v, v)); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d (%q) has norm %v, want 1", i, texts[i][:min(len(texts[i]), 20)], n)
		}
	}
	near, far := cosine(vecs[0], vecs[1]), cosine(vecs[0], vecs[2])
	if near < 0.4 || near <= far+0.2 {
		t.Errorf("related texts: cos %.3f, unrelated: cos %.3f; want related clearly closer", near, far)
	}
	again, err := NewBuiltin(BuiltinOptions{}).Embed(context.Background(), texts[:1])
	if err != nil {
		t.Fatal(err)
	}
	for i := range again[0] {
		if again[0][i] != vecs[0][i] {
			t.Fatalf("not deterministic at dim %d: %v vs %v", i, again[0][i], vecs[0][i])
		}
	}
}

func TestBuiltinErrors(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{Dims: 128})
	if _, err := b.Embed(context.Background(), []string{"ok", " \n"}); err == nil || !strings.Contains(err.Error(), "text 1 of 2 is empty") {
		t.Errorf("blank text: err = %v, want 'text 1 of 2 is empty'", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Embed(ctx, []string{"ok"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v, want context.Canceled", err)
	}
	if vecs, err := b.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
		t.Errorf("no texts: %v, %v; want no vectors and no error", vecs, err)
	}
}

func TestBuiltinModelNameFollowsDims(t *testing.T) {
	cases := []struct {
		dims int
		want string
	}{
		{0, "builtin/hash-v2-512"},
		{256, "builtin/hash-v2-256"},
		{8, "builtin/hash-v2-64"},
		{1 << 20, "builtin/hash-v2-4096"},
	}
	for _, tc := range cases {
		if got := NewBuiltin(BuiltinOptions{Dims: tc.dims}).Model(); got != tc.want {
			t.Errorf("Dims %d: Model() = %q, want %q", tc.dims, got, tc.want)
		}
	}
}
