package embed

import (
	"errors"
	"testing"
)

func TestNewBuiltin(t *testing.T) {
	cases := []struct {
		name      string
		cfg       Config
		wantModel string
		wantErr   bool
	}{
		{"default kind", Config{}, "builtin/hash-v2-512", false},
		{"explicit, any case", Config{Kind: " Builtin ", Dimensions: 256}, "builtin/hash-v2-256", false},
		{"dims too small", Config{Kind: "builtin", Dimensions: 3}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New(%+v) err = %v, wantErr %v", tc.cfg, err, tc.wantErr)
			}
			if err == nil && e.Model() != tc.wantModel {
				t.Errorf("Model() = %q, want %q", e.Model(), tc.wantModel)
			}
		})
	}
}

func TestNewUnknownKind(t *testing.T) {
	_, err := New(Config{Kind: "word2vec"})
	if !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("err = %v, want ErrUnknownKind", err)
	}
}
