package embed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Defaults of the OpenAI-compatible embedder.
const (
	DefaultOpenAIURL       = "https://api.openai.com"
	DefaultOpenAIBatchSize = 32 // TEI's default limit; OpenAI takes up to 2048
	// DefaultAzureAPIVersion is sent to Azure OpenAI when the URL has no
	// api-version of its own.
	DefaultAzureAPIVersion = "2024-10-21"
)

// OpenAI embeds with any OpenAI-compatible POST /v1/embeddings: OpenAI,
// Azure OpenAI (api-key header, ?api-version=), vLLM, Hugging Face TEI,
// LocalAI, llama.cpp server.
type OpenAI struct {
	model      string
	endpoint   string // full URL of the embeddings route
	azure      bool
	key        string
	dimensions int
	batchSize  int
	core       *httpCore
	dims       dimsGuard
}

// OpenAIOptions configures NewOpenAI.
type OpenAIOptions struct {
	// Model is the model name; for Azure it may be empty and defaults to
	// the deployment named in URL.
	Model string
	// URL is the server's base URL (DefaultOpenAIURL when empty), with or
	// without /v1, or the full …/embeddings route. An Azure URL (host
	// NAME.openai.azure.com, a path with /openai/deployments/DEPLOYMENT, or
	// an ?api-version=) switches to Azure's api-key header; a deployment URL
	// without api-version gets DefaultAzureAPIVersion. Azure's
	// https://NAME.openai.azure.com/openai/v1 works too, with Model set.
	URL string
	// APIKey is the bearer token, or Azure's api-key. It may be empty for
	// local servers.
	APIKey string
	// Dimensions asks for shorter vectors (text-embedding-3-*); 0 for the
	// model's own length.
	Dimensions int
	// BatchSize is the number of texts per request (DefaultOpenAIBatchSize
	// when ≤ 0).
	BatchSize int
	// HTTPClient defaults to a client with a 2-minute timeout.
	HTTPClient *http.Client
}

// NewOpenAI returns an embedder for an OpenAI-compatible server.
func NewOpenAI(opts OpenAIOptions) (*OpenAI, error) {
	raw := opts.URL
	if raw == "" {
		raw = DefaultOpenAIURL
	}
	u, err := parseBaseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("embed: openai: %w", err)
	}
	if opts.Dimensions < 0 {
		return nil, fmt.Errorf("embed: openai: dimensions %d is negative", opts.Dimensions)
	}
	o := &OpenAI{
		model:      strings.TrimSpace(opts.Model),
		key:        opts.APIKey,
		dimensions: opts.Dimensions,
		batchSize:  opts.BatchSize,
		core:       newHTTPCore(opts.HTTPClient, opts.APIKey),
	}
	if o.batchSize <= 0 {
		o.batchSize = DefaultOpenAIBatchSize
	}
	o.dims.want = opts.Dimensions
	q := u.Query()
	path := strings.TrimSuffix(u.Path, "/")
	o.azure = q.Has("api-version") || strings.Contains(path, "/openai/deployments/") ||
		strings.HasSuffix(u.Hostname(), ".openai.azure.com")
	switch {
	case strings.HasSuffix(path, "/embeddings"):
	case o.azure || strings.HasSuffix(path, "/v1"):
		path += "/embeddings"
	default:
		path += "/v1/embeddings"
	}
	u.Path = path
	if o.azure {
		// Deployment URLs need an api-version; Azure's newer /openai/v1
		// routes take the model in the body and no version.
		if !q.Has("api-version") && strings.Contains(path, "/openai/deployments/") {
			q.Set("api-version", DefaultAzureAPIVersion)
		}
		u.RawQuery = q.Encode()
		if o.model == "" {
			if _, dep, ok := strings.Cut(path, "/openai/deployments/"); ok {
				o.model, _, _ = strings.Cut(dep, "/")
			}
		}
	}
	if o.model == "" {
		return nil, errors.New("embed: openai: no model given (e.g. text-embedding-3-small)")
	}
	o.endpoint = u.String()
	return o, nil
}

// Model returns "openai/" and the model name, with "@" and the length when
// Dimensions is set, since the vectors then differ.
func (o *OpenAI) Model() string {
	if o.dimensions > 0 {
		return "openai/" + o.model + "@" + strconv.Itoa(o.dimensions)
	}
	return "openai/" + o.model
}

// Embed returns one unit vector per text, sending BatchSize texts per request.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := checkTexts(texts); err != nil {
		return nil, fmt.Errorf("embed: openai: %w", err)
	}
	out := make([][]float32, 0, len(texts))
	for _, batch := range batches(texts, o.batchSize) {
		vecs, err := o.embedBatch(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("embed: openai %s: POST %s: %w", o.model, o.endpointForErrors(), err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// endpointForErrors is the endpoint without its query (nothing secret is
// there, but it is noise).
func (o *OpenAI) endpointForErrors() string {
	s, _, _ := strings.Cut(o.endpoint, "?")
	return s
}

type openAIRequest struct {
	Model          string   `json:"model,omitempty"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

func (o *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	header := http.Header{}
	if o.key != "" {
		if o.azure {
			header.Set("api-key", o.key)
		} else {
			header.Set("Authorization", "Bearer "+o.key)
		}
	}
	// Azure deployment routes ignore the model; its v1 routes need it.
	req := openAIRequest{Model: o.model, Input: texts, EncodingFormat: "float", Dimensions: o.dimensions}
	resp, err := o.core.postJSON(ctx, o.endpoint, header, req)
	if err != nil {
		return nil, err
	}
	if resp.status/100 != 2 {
		apiErr := o.core.apiError(resp)
		if apiErr.StatusCode == http.StatusUnauthorized && o.key == "" {
			return nil, fmt.Errorf("%w (no API key was configured)", apiErr)
		}
		return nil, apiErr
	}
	var body struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if len(body.Data) != len(texts) {
		return nil, fmt.Errorf("got %d vectors for %d texts", len(body.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range body.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("answer has a bad or repeated index %d", d.Index)
		}
		if err := o.dims.check(len(d.Embedding)); err != nil {
			return nil, err
		}
		v, err := toUnit(d.Embedding)
		if err != nil {
			return nil, fmt.Errorf("vector %d: %w", d.Index, err)
		}
		out[d.Index] = v
	}
	return out, nil
}

// parseBaseURL checks that raw is an absolute http(s) URL and drops a
// trailing slash from its path.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Error repeats the URL, user:password@ included: keep its reason only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: want http(s)://host[:port][/path]", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	u.Fragment = ""
	return u, nil
}
