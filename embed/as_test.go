package embed

import (
	"context"
	"testing"
)

// wrapped is an embedder wrapping another without forwarding its optional
// methods, as a meter does.
type wrapped struct{ inner Embedder }

func (w wrapped) Model() string { return w.inner.Model() }
func (w wrapped) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return w.inner.Embed(ctx, texts)
}
func (w wrapped) Unwrap() Embedder { return w.inner }

func TestAs(t *testing.T) {
	b := NewBuiltin(BuiltinOptions{})
	remote, err := NewOpenAI(OpenAIOptions{URL: "http://127.0.0.1:9/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		e    Embedder
		want bool
	}{
		{"itself", b, true},
		{"through a wrapper", wrapped{b}, true},
		{"through two", wrapped{wrapped{b}}, true},
		{"none inside", wrapped{remote}, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := As[Trainable](tc.e)
			if ok != tc.want || (ok && got != Trainable(b)) {
				t.Fatalf("As[Trainable] = %v, %v; want the builtin: %v", got, ok, tc.want)
			}
		})
	}
}
