package embed

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestRetrofitRelatesSynonyms: in a corpus where "halt" and "stop" never
// share a text, only WordNet can tell the embedder they mean the same.
func TestRetrofitRelatesSynonyms(t *testing.T) {
	var corpus []string
	for i := range 60 {
		a := []string{"halt the server process now", "stop the client request quickly"}[i%2]
		corpus = append(corpus, fmt.Sprintf("%s %s number%d", a, strings.Repeat("filler ", i%3), i%7))
	}
	cos := func(related float64) float64 {
		ac := defaultAdapt
		ac.Related = related
		b := newBuiltin(64, defaultFeatures, ac)
		m, err := fitModel(context.Background(), ac, defaultFeatures, slices.Values(corpus))
		if err != nil {
			t.Fatal(err)
		}
		b.fitted.Store(m)
		v, err := b.Embed(context.Background(), []string{"halt", "stop"})
		if err != nil {
			t.Fatal(err)
		}
		return cosine(v[0], v[1])
	}
	without, with := cos(0), cos(1)
	if !(with > without+0.1) {
		t.Errorf("cos(halt, stop) %.3f with WordNet, %.3f without: want clearly closer", with, without)
	}
}

// TestRelatedUnknownWord: a word the corpus never uses gets the vector of
// its synonyms that it does use.
func TestRelatedUnknownWord(t *testing.T) {
	b := fitted(t, topicCorpus(300, 1)) // "password", never "watchword"
	v, err := b.Embed(context.Background(), []string{"watchword", "password", "replication"})
	if err != nil {
		t.Fatal(err)
	}
	if c, o := cosine(v[0], v[1]), cosine(v[0], v[2]); !(c > 0.3 && c > o+0.2) {
		t.Errorf("cos(watchword, password) %.3f, cos(watchword, replication) %.3f: want the synonym close", c, o)
	}
}

// TestLoadVersion1Model: a model stored before WordNet loads, keeps its
// name and embeds without relations.
func TestLoadVersion1Model(t *testing.T) {
	ac := defaultAdapt
	ac.Related = 0
	b := newBuiltin(512, defaultFeatures, ac)
	m, err := fitModel(context.Background(), ac, defaultFeatures, slices.Values(topicCorpus(200, 2)))
	if err != nil {
		t.Fatal(err)
	}
	v2 := m.marshal(512)
	// Version 1 is version 2 without the related weight, after mix and power.
	head := len(modelMagic)
	var v1 []byte
	v1 = append(v1, v2[:head]...)
	v1 = binary.AppendUvarint(v1, 1)
	rest := v2[head+1:]
	for range 5 { // hash dims, latent dims, docs, vocabulary size, IDF flag
		_, n := binary.Uvarint(rest)
		v1, rest = append(v1, rest[:n]...), rest[n:]
	}
	v1 = append(v1, rest[:16]...)
	if rel := math.Float64frombits(binary.LittleEndian.Uint64(rest[16:24])); rel != 0 {
		t.Fatalf("related weight %v in the test model", rel)
	}
	v1 = append(v1, rest[24:]...)
	if err := b.UnmarshalBinary(v1); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Model(), "builtin/lsa-v1-512+") {
		t.Errorf("version 1 model named %q", b.Model())
	}
	again, err := b.MarshalBinary()
	if err != nil || !bytes.Equal(again, v2) {
		t.Errorf("version 1 model marshals to other bytes than its version 2 twin (err %v)", err)
	}
}

// BenchmarkRelatedLookup: most words of a chunk that the vocabulary lacks
// (ids, numbers, typos) have no relations either; looking them up must
// stay cheap.
func BenchmarkRelatedLookup(b *testing.B) {
	rel, err := loadRelations()
	if err != nil {
		b.Fatal(err)
	}
	words := []string{"encrypt", "scrambl", "x9f3a", "12345", "bloat", "zzzz"}
	n := 0
	for b.Loop() {
		for _, w := range words {
			rel.related(w, func(string, bool) { n++ })
		}
	}
}
