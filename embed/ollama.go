package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// Defaults of the Ollama embedder.
const (
	DefaultOllamaURL       = "http://localhost:11434"
	DefaultOllamaBatchSize = 32
)

// Ollama embeds with a model served by Ollama: POST {URL}/api/embed with a
// batch of inputs, or, on servers older than 0.3 that answer 404 to it,
// POST {URL}/api/embeddings one text at a time.
type Ollama struct {
	model      string
	base       string
	dimensions int
	batchSize  int
	core       *httpCore
	dims       dimsGuard
	legacy     atomic.Bool // the server only has /api/embeddings
}

// NewOllama returns an Ollama embedder for model at baseURL
// (DefaultOllamaURL when empty). dimensions > 0 asks for shorter vectors
// (Ollama 0.6 and later, models that support it). batchSize ≤ 0 means
// DefaultOllamaBatchSize; a nil client means one with a 2-minute timeout.
func NewOllama(model, baseURL string, dimensions, batchSize int, client *http.Client) (*Ollama, error) {
	if strings.TrimSpace(model) == "" {
		return nil, errors.New("embed: ollama: no model given (e.g. nomic-embed-text)")
	}
	if baseURL == "" {
		baseURL = DefaultOllamaURL
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("embed: ollama: %w", err)
	}
	if batchSize <= 0 {
		batchSize = DefaultOllamaBatchSize
	}
	if dimensions < 0 {
		return nil, fmt.Errorf("embed: ollama: dimensions %d is negative", dimensions)
	}
	o := &Ollama{model: model, base: base.String(), dimensions: dimensions, batchSize: batchSize, core: newHTTPCore(client, "")}
	o.dims.want = dimensions
	return o, nil
}

// Model returns "ollama/" and the model name, with "@" and the length when
// dimensions were asked for.
func (o *Ollama) Model() string {
	if o.dimensions > 0 {
		return fmt.Sprintf("ollama/%s@%d", o.model, o.dimensions)
	}
	return "ollama/" + o.model
}

// Embed returns one unit vector per text, sending BatchSize texts per request.
func (o *Ollama) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := checkTexts(texts); err != nil {
		return nil, fmt.Errorf("embed: ollama: %w", err)
	}
	out := make([][]float32, 0, len(texts))
	for _, batch := range batches(texts, o.batchSize) {
		vecs, err := o.embedBatch(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("embed: ollama %s: %w", o.model, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (o *Ollama) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	if !o.legacy.Load() {
		vecs, err := o.embedNew(ctx, texts)
		if !errors.Is(err, errNoEmbedEndpoint) {
			return vecs, err
		}
		o.legacy.Store(true)
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v, err := o.embedLegacy(ctx, t)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// errNoEmbedEndpoint: the server answered 404 without naming the model, so
// it lacks /api/embed (Ollama before 0.3).
var errNoEmbedEndpoint = errors.New("no /api/embed endpoint")

func (o *Ollama) embedNew(ctx context.Context, texts []string) ([][]float32, error) {
	u := o.base + "/api/embed"
	req := map[string]any{"model": o.model, "input": texts}
	if o.dimensions > 0 {
		req["dimensions"] = o.dimensions
	}
	resp, err := o.core.postJSON(ctx, u, nil, req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", u, err)
	}
	if resp.status == http.StatusNotFound {
		if apiErr := o.core.apiError(resp); !errors.Is(apiErr, ErrModelNotFound) {
			return nil, errNoEmbedEndpoint
		}
	}
	if resp.status/100 != 2 {
		return nil, fmt.Errorf("POST %s: %w", u, o.hint(o.core.apiError(resp)))
	}
	var body struct {
		Embeddings [][]float64 `json:"embeddings"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return nil, fmt.Errorf("POST %s: decode answer: %w", u, err)
	}
	if len(body.Embeddings) != len(texts) {
		return nil, fmt.Errorf("POST %s: got %d vectors for %d texts", u, len(body.Embeddings), len(texts))
	}
	out := make([][]float32, len(texts))
	for i, v := range body.Embeddings {
		if out[i], err = o.unit(v); err != nil {
			return nil, fmt.Errorf("POST %s: vector %d: %w", u, i, err)
		}
	}
	return out, nil
}

func (o *Ollama) embedLegacy(ctx context.Context, text string) ([]float32, error) {
	u := o.base + "/api/embeddings"
	resp, err := o.core.postJSON(ctx, u, nil, map[string]any{"model": o.model, "prompt": text})
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", u, err)
	}
	if resp.status/100 != 2 {
		return nil, fmt.Errorf("POST %s: %w", u, o.hint(o.core.apiError(resp)))
	}
	var body struct {
		Embedding []float64 `json:"embedding"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return nil, fmt.Errorf("POST %s: decode answer: %w", u, err)
	}
	v, err := o.unit(body.Embedding)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", u, err)
	}
	return v, nil
}

func (o *Ollama) unit(v []float64) ([]float32, error) {
	if err := o.dims.check(len(v)); err != nil {
		return nil, err
	}
	return toUnit(v)
}

// hint adds what to do about a missing model.
func (o *Ollama) hint(err *APIError) error {
	if errors.Is(err, ErrModelNotFound) {
		return fmt.Errorf("%w (run: ollama pull %s)", err, o.model)
	}
	return err
}
