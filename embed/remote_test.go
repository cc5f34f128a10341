package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// waits records the backoff waits of a remote embedder instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

func fakeSleep(c *httpCore) *waits {
	w := &waits{}
	c.retry.Sleep = w.sleep
	return w
}

// vecFor is the server side's vector for a text: unnormalised, distinct.
func vecFor(text string, dims int) []float64 {
	v := make([]float64, dims)
	for i := range v {
		v[i] = float64(len(text)+i) * 3
	}
	return v
}

func assertUnit(t *testing.T, vecs [][]float32, dims int) {
	t.Helper()
	for i, v := range vecs {
		if len(v) != dims {
			t.Fatalf("vector %d: %d dims, want %d", i, len(v), dims)
		}
		if n := math.Sqrt(cosine(v, v)); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d: norm %v, want 1", i, n)
		}
	}
}

func decodeJSON(t *testing.T, r *http.Request, v any) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read request: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Errorf("request body %q: %v", b, err)
	}
}

func TestOllamaEmbedBatches(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		decodeJSON(t, r, &req)
		if req.Model != "nomic-embed-text" {
			t.Errorf("model = %q", req.Model)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		mu.Lock()
		sizes = append(sizes, len(req.Input))
		mu.Unlock()
		var out struct {
			Model      string      `json:"model"`
			Embeddings [][]float64 `json:"embeddings"`
		}
		out.Model = req.Model
		for _, in := range req.Input {
			out.Embeddings = append(out.Embeddings, vecFor(in, 4))
		}
		json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	e, err := New(Config{Kind: "ollama", Model: "nomic-embed-text", URL: srv.URL + "/", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Model() != "ollama/nomic-embed-text" {
		t.Errorf("Model() = %q", e.Model())
	}
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	assertUnit(t, vecs, 4)
	for i, text := range texts {
		want, _ := toUnit(vecFor(text, 4))
		if vecs[i][0] != want[0] {
			t.Errorf("vector %d out of order: %v, want %v", i, vecs[i], want)
		}
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Errorf("batch sizes %v, want [2 2 1]", sizes)
	}
}

func TestOllamaLegacyFallback(t *testing.T) {
	var newCalls, oldCalls int
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		newCalls++
		http.NotFound(w, r) // "404 page not found", as Ollama < 0.3 answers
	})
	mux.HandleFunc("POST /api/embeddings", func(w http.ResponseWriter, r *http.Request) {
		oldCalls++
		var req struct {
			Model  string `json:"model"`
			Prompt string `json:"prompt"`
		}
		decodeJSON(t, r, &req)
		json.NewEncoder(w).Encode(map[string]any{"embedding": vecFor(req.Prompt, 3)})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	o, err := NewOllama("all-minilm", srv.URL, 0, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		vecs, err := o.Embed(context.Background(), []string{"x", "yy"})
		if err != nil {
			t.Fatal(err)
		}
		assertUnit(t, vecs, 3)
	}
	if newCalls != 1 || oldCalls != 4 {
		t.Errorf("calls: /api/embed %d (want 1, then remembered), /api/embeddings %d (want 4)", newCalls, oldCalls)
	}
}

func TestOllamaErrors(t *testing.T) {
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		wantIs   error
		wantText string
		tries    int
	}{
		{
			name: "model not pulled",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":"model \"nomic-embed-txt\" not found, try pulling it first"}`)
			},
			wantIs: ErrModelNotFound, wantText: "ollama pull nomic-embed-txt", tries: 1,
		},
		{
			name: "bad request is not retried",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"input length exceeds the context length"}`)
			},
			wantText: "HTTP 400: input length exceeds the context length", tries: 1,
		},
		{
			name: "overloaded until the last try",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"error":"server busy"}`)
			},
			wantText: "after 5 tries: HTTP 503: server busy", tries: 5,
		},
		{
			name: "wrong count",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"embeddings":[[1,2]]}`)
			},
			wantText: "got 1 vectors for 2 texts", tries: 1,
		},
		{
			name: "zero vector",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"embeddings":[[1,2],[0,0]]}`)
			},
			wantText: "vector 1: server returned a zero or non-finite vector", tries: 1,
		},
		{
			name: "not JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `<html>proxy login</html>`)
			},
			wantText: "decode answer", tries: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tries++
				tc.handler(w, r)
			}))
			defer srv.Close()
			o, err := NewOllama("nomic-embed-txt", srv.URL, 0, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			fakeSleep(o.core)
			_, err = o.Embed(context.Background(), []string{"one", "two"})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantText)
			}
			if tries != tc.tries {
				t.Errorf("%d tries, want %d", tries, tc.tries)
			}
		})
	}
}

func TestOllamaServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	o, err := NewOllama("m", "http://"+addr, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := fakeSleep(o.core)
	_, err = o.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "is the embedding server running") {
		t.Errorf("err = %v, want a hint that the server is down", err)
	}
	if len(w.list()) != 0 {
		t.Errorf("retried a refused connection %d times", len(w.list()))
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	cases := []struct {
		name     string
		header   http.Header
		atLeast  time.Duration
		failWith string
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, ""},
		{"milliseconds", http.Header{"Retry-After-Ms": {"2500"}}, 2500 * time.Millisecond, ""},
		{"date", http.Header{"Retry-After": {time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)}}, 18 * time.Second, ""},
		{"too long", http.Header{"Retry-After": {"3600"}}, 0, "server asks to retry after 1h0m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tries++
				if tries == 1 {
					for k, v := range tc.header {
						w.Header()[k] = v
					}
					w.WriteHeader(http.StatusTooManyRequests)
					io.WriteString(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
					return
				}
				io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[3,4]}]}`)
			}))
			defer srv.Close()
			o, err := NewOpenAI(OpenAIOptions{Model: "m", URL: srv.URL, APIKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			w := fakeSleep(o.core)
			vecs, err := o.Embed(context.Background(), []string{"x"})
			if tc.failWith != "" {
				if err == nil || !strings.Contains(err.Error(), tc.failWith) {
					t.Fatalf("err = %v, want %q", err, tc.failWith)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if vecs[0][0] != 0.6 || vecs[0][1] != 0.8 {
				t.Errorf("vector %v, want [0.6 0.8]", vecs[0])
			}
			got := w.list()
			if len(got) != 1 || got[0] < tc.atLeast || got[0] > tc.atLeast+3*time.Second {
				t.Errorf("waits %v, want one of about %v", got, tc.atLeast)
			}
		})
	}
}

func TestRateLimitedAfterRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	o, err := NewOpenAI(OpenAIOptions{Model: "m", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	w := fakeSleep(o.core)
	_, err = o.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	got := w.list()
	if len(got) != 4 {
		t.Fatalf("%d waits, want 4 (5 tries)", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Errorf("backoff shrinks: %v", got)
		}
	}
}

func TestOpenAIRequests(t *testing.T) {
	cases := []struct {
		name       string
		opts       OpenAIOptions
		wantPath   string
		wantQuery  string
		wantAuth   string // Authorization header
		wantAPIKey string // api-key header
		wantModel  string // in the body
		wantName   string // Model()
	}{
		{"base URL", OpenAIOptions{Model: "text-embedding-3-small", APIKey: "sk-1"}, "/v1/embeddings", "", "Bearer sk-1", "", "text-embedding-3-small", "openai/text-embedding-3-small"},
		{"with /v1 and dims", OpenAIOptions{Model: "text-embedding-3-large", URL: "/v1/", APIKey: "sk-1", Dimensions: 3}, "/v1/embeddings", "", "Bearer sk-1", "", "text-embedding-3-large", "openai/text-embedding-3-large@3"},
		{"full route, no key (TEI)", OpenAIOptions{Model: "bge-small", URL: "/v1/embeddings"}, "/v1/embeddings", "", "", "", "bge-small", "openai/bge-small"},
		{"azure", OpenAIOptions{URL: "/openai/deployments/emb-small?api-version=2024-02-01", APIKey: "az-1"}, "/openai/deployments/emb-small/embeddings", "api-version=2024-02-01", "", "az-1", "emb-small", "openai/emb-small"},
		{"azure default version", OpenAIOptions{Model: "text-embedding-3-small", URL: "/openai/deployments/emb", APIKey: "az-1"}, "/openai/deployments/emb/embeddings", "api-version=" + DefaultAzureAPIVersion, "", "az-1", "text-embedding-3-small", "openai/text-embedding-3-small"},
		{"azure v1 route", OpenAIOptions{Model: "emb-small", URL: "/openai/v1?api-version=preview", APIKey: "az-1"}, "/openai/v1/embeddings", "api-version=preview", "", "az-1", "emb-small", "openai/emb-small"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != tc.wantPath || r.URL.RawQuery != tc.wantQuery {
					t.Errorf("got %s %s?%s, want POST %s?%s", r.Method, r.URL.Path, r.URL.RawQuery, tc.wantPath, tc.wantQuery)
				}
				if got := r.Header.Get("Authorization"); got != tc.wantAuth {
					t.Errorf("Authorization = %q, want %q", got, tc.wantAuth)
				}
				if got := r.Header.Get("api-key"); got != tc.wantAPIKey {
					t.Errorf("api-key = %q, want %q", got, tc.wantAPIKey)
				}
				var req struct {
					Model          string   `json:"model"`
					Input          []string `json:"input"`
					EncodingFormat string   `json:"encoding_format"`
					Dimensions     *int     `json:"dimensions"`
				}
				decodeJSON(t, r, &req)
				if req.Model != tc.wantModel || req.EncodingFormat != "float" {
					t.Errorf("body model %q format %q, want %q float", req.Model, req.EncodingFormat, tc.wantModel)
				}
				dims := 5
				if tc.opts.Dimensions > 0 {
					if req.Dimensions == nil || *req.Dimensions != tc.opts.Dimensions {
						t.Errorf("dimensions = %v, want %d", req.Dimensions, tc.opts.Dimensions)
					}
					dims = tc.opts.Dimensions
				} else if req.Dimensions != nil {
					t.Errorf("dimensions sent although not configured: %d", *req.Dimensions)
				}
				// Answer in reverse order: the index field decides.
				type item struct {
					Object    string    `json:"object"`
					Index     int       `json:"index"`
					Embedding []float64 `json:"embedding"`
				}
				var data []item
				for i := len(req.Input) - 1; i >= 0; i-- {
					data = append(data, item{"embedding", i, vecFor(req.Input[i], dims)})
				}
				json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
					"usage": map[string]int{"prompt_tokens": 2, "total_tokens": 2}})
			}))
			defer srv.Close()
			opts := tc.opts
			if strings.HasPrefix(opts.URL, "/") || opts.URL == "" {
				opts.URL = srv.URL + opts.URL
			}
			o, err := NewOpenAI(opts)
			if err != nil {
				t.Fatal(err)
			}
			if o.Model() != tc.wantName {
				t.Errorf("Model() = %q, want %q", o.Model(), tc.wantName)
			}
			texts := []string{"a", "bbb"}
			vecs, err := o.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			dims := 5
			if opts.Dimensions > 0 {
				dims = opts.Dimensions
			}
			assertUnit(t, vecs, dims)
			for i, text := range texts {
				want, _ := toUnit(vecFor(text, dims))
				if vecs[i][0] != want[0] {
					t.Errorf("vector %d out of order", i)
				}
			}
		})
	}
}

func TestOpenAIErrors(t *testing.T) {
	const key = "sk-proj-SECRETSECRET"
	cases := []struct {
		name     string
		key      string
		dims     int
		answers  []string // status and body, one per request
		wantIs   error
		wantText string
	}{
		{
			name: "wrong key", key: key,
			answers: []string{`401 {"error":{"message":"Incorrect API key provided: ` + key + `. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
			wantIs:  ErrUnauthorized, wantText: "Incorrect API key provided: [redacted]",
		},
		{
			name:    "no key",
			answers: []string{`401 {"error":{"message":"You didn't provide an API key.","type":"invalid_request_error"}}`},
			wantIs:  ErrUnauthorized, wantText: "no API key was configured",
		},
		{
			name: "unknown model", key: key,
			answers: []string{`404 {"error":{"message":"The model 'text-embedding-4' does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
			wantIs:  ErrModelNotFound, wantText: "does not exist",
		},
		{
			name: "azure deployment missing", key: key,
			answers: []string{`404 {"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`},
			wantIs:  ErrModelNotFound, wantText: "DeploymentNotFound",
		},
		{
			name: "dimensions not honoured", key: key, dims: 256,
			answers: []string{`200 {"data":[{"index":0,"embedding":[1,2,3]}]}`},
			wantIs:  ErrDimensionMismatch, wantText: "asked for 256 dimensions, got 3",
		},
		{
			name: "model changed between calls", key: key,
			answers: []string{`200 {"data":[{"index":0,"embedding":[1,2,3]}]}`, `200 {"data":[{"index":0,"embedding":[1,2]}]}`},
			wantIs:  ErrDimensionMismatch, wantText: "got 2 dimensions, earlier answers had 3",
		},
		{
			name: "repeated index", key: key,
			answers:  []string{`200 {"data":[{"index":0,"embedding":[1,2]},{"index":0,"embedding":[1,2]}]}`},
			wantText: "got 2 vectors for 1 texts",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status, body, _ := strings.Cut(tc.answers[min(n, len(tc.answers)-1)], " ")
				n++
				var code int
				fmt.Sscan(status, &code)
				w.WriteHeader(code)
				io.WriteString(w, body)
			}))
			defer srv.Close()
			o, err := NewOpenAI(OpenAIOptions{Model: "text-embedding-3-small", URL: srv.URL, APIKey: tc.key, Dimensions: tc.dims, BatchSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			fakeSleep(o.core)
			texts := make([]string, len(tc.answers))
			for i := range texts {
				texts[i] = fmt.Sprint("text ", i)
			}
			_, err = o.Embed(context.Background(), texts)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), "SECRETSECRET") {
				t.Errorf("the API key leaked into the error: %q", err)
			}
		})
	}
}

func TestRemoteTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // runs first: no handler outlives the test
	o, err := NewOllama("m", srv.URL, 0, 0, &http.Client{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o.core.retry.Retries = 1 // two tries
	fakeSleep(o.core)
	_, err = o.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "Timeout") || !strings.Contains(err.Error(), "after 2 tries") {
		t.Errorf("err = %v, want a timeout after 2 tries", err)
	}
}

func TestRemoteConfigErrors(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		wantText string
	}{
		{"ollama without model", Config{Kind: "ollama"}, "no model given"},
		{"openai without model", Config{Kind: "openai", URL: "https://api.openai.com"}, "no model given"},
		{"bad scheme", Config{Kind: "openai", Model: "m", URL: "ftp://host"}, "want http(s)://"},
		{"no host", Config{Kind: "ollama", Model: "m", URL: "localhost:11434"}, "want http(s)://"},
		{"negative dims", Config{Kind: "openai", Model: "m", Dimensions: -1}, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("err = %v, want %q", err, tc.wantText)
			}
		})
	}
}

func TestRemoteEmptyText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("an empty text reached the server")
	}))
	defer srv.Close()
	for _, kind := range []string{"ollama", "openai"} {
		e, err := New(Config{Kind: kind, Model: "m", URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Embed(context.Background(), []string{"fine", ""}); err == nil || !strings.Contains(err.Error(), "text 1 of 2 is empty") {
			t.Errorf("%s: err = %v", kind, err)
		}
		if vecs, err := e.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
			t.Errorf("%s: no texts: %v %v", kind, vecs, err)
		}
	}
}

func TestOpenAIEndpoints(t *testing.T) {
	cases := []struct {
		url, model string
		want       string
		azure      bool
	}{
		{"", "m", "https://api.openai.com/v1/embeddings", false},
		{"http://vllm:8000/v1", "m", "http://vllm:8000/v1/embeddings", false},
		{"http://tei:8080/", "m", "http://tei:8080/v1/embeddings", false},
		{"http://localai/v1/embeddings", "m", "http://localai/v1/embeddings", false},
		{"https://res.openai.azure.com/openai/v1", "emb", "https://res.openai.azure.com/openai/v1/embeddings", true},
		{"https://res.openai.azure.com/openai/deployments/emb", "", "https://res.openai.azure.com/openai/deployments/emb/embeddings?api-version=" + DefaultAzureAPIVersion, true},
		{"https://res.cognitiveservices.azure.com/openai/deployments/emb/embeddings?api-version=2024-06-01", "", "https://res.cognitiveservices.azure.com/openai/deployments/emb/embeddings?api-version=2024-06-01", true},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			o, err := NewOpenAI(OpenAIOptions{Model: tc.model, URL: tc.url})
			if err != nil {
				t.Fatal(err)
			}
			if o.endpoint != tc.want || o.azure != tc.azure {
				t.Errorf("endpoint %q azure %v, want %q %v", o.endpoint, o.azure, tc.want, tc.azure)
			}
		})
	}
}

func TestOllamaDimensions(t *testing.T) {
	got := 3
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Dimensions int      `json:"dimensions"`
			Input      []string `json:"input"`
		}
		decodeJSON(t, r, &req)
		if req.Dimensions != 3 {
			t.Errorf("dimensions = %d, want 3", req.Dimensions)
		}
		json.NewEncoder(w).Encode(map[string]any{"embeddings": [][]float64{vecFor("x", got)}})
	}))
	defer srv.Close()
	e, err := New(Config{Kind: "ollama", Model: "qwen3-embedding", URL: srv.URL, Dimensions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if e.Model() != "ollama/qwen3-embedding@3" {
		t.Errorf("Model() = %q", e.Model())
	}
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	got = 4 // an older server ignores dimensions
	if _, err := e.Embed(context.Background(), []string{"x"}); !errors.Is(err, ErrDimensionMismatch) {
		t.Errorf("err = %v, want ErrDimensionMismatch", err)
	}
}

// TestRemoteRedirectWithKeyRefused: a redirect to another origin is not
// followed with the API key, and the error says where it pointed; without
// a key (a local server) the redirect is followed.
func TestRemoteRedirectWithKeyRefused(t *testing.T) {
	var keys []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Authorization"))
		io.WriteString(w, `{"data":[{"index":0,"embedding":[1,0]}]}`)
	}))
	t.Cleanup(target.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	for _, tc := range []struct {
		name, key string
		refused   bool
	}{
		{"with a key", "sk-secret-key", true},
		{"without a key", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys = nil
			o, err := NewOpenAI(OpenAIOptions{Model: "m", URL: front.URL, APIKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			_, err = o.Embed(t.Context(), []string{"hello"})
			if !tc.refused {
				if err != nil {
					t.Fatalf("a redirect without a key: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrRedirectRefused) || !strings.Contains(err.Error(), target.URL+"/v1/embeddings") {
				t.Fatalf("got %v, want a refused redirect naming %s", err, target.URL)
			}
			if len(keys) > 0 {
				t.Errorf("the key reached the other origin: %q", keys)
			}
			if strings.Contains(err.Error(), tc.key) {
				t.Errorf("the key is in the error: %v", err)
			}
		})
	}
}

// TestRemoteURLCredentialsNotEchoed: a URL with user:password in it does
// not show the password in a parse error.
func TestRemoteURLCredentialsNotEchoed(t *testing.T) {
	for _, u := range []string{"https://bob:pw-Secret-9@[::1/x", "https://bob:pw-Secret-9@host:port/", "ftp://bob:pw-Secret-9@host"} {
		_, err := New(Config{Kind: "openai", Model: "m", URL: u})
		if err == nil || strings.Contains(err.Error(), "pw-Secret-9") {
			t.Errorf("%q: %v", u, err)
		}
	}
}
