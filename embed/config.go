package embed

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kinds of embedder that New builds.
const (
	KindBuiltin = "builtin"
	KindOllama  = "ollama"
	KindOpenAI  = "openai"
)

// Config selects and configures an embedder. cmd fills it from
// ATLASBRIDGE_EMBEDDER, ATLASBRIDGE_EMBED_MODEL, ATLASBRIDGE_EMBED_URL and
// ATLASBRIDGE_EMBED_API_KEY; this package reads no environment.
type Config struct {
	// Kind is "builtin" (the default when empty), "ollama" or "openai".
	Kind string
	// Model is the remote model name, e.g. "nomic-embed-text" or
	// "text-embedding-3-small"; for Azure OpenAI, the deployment's model.
	// Ignored by builtin.
	Model string
	// URL is the server's base URL, e.g. "http://localhost:11434" or
	// "https://api.openai.com". For Azure OpenAI it is the deployment URL
	// "https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT" and
	// may carry "?api-version=…". Ollama defaults to
	// http://localhost:11434, openai to https://api.openai.com.
	URL string
	// APIKey is sent as a bearer token (or as the api-key header for
	// Azure). It is never logged nor put in an error.
	APIKey string
	// BatchSize is the number of texts per request; remote kinds only.
	// 0 means a per-kind default.
	BatchSize int
	// Dimensions asks a remote model for shorter vectors (models that
	// support it, like text-embedding-3-*); for builtin it is the length of
	// the hashed part. 0 means the model's default.
	Dimensions int
	// HTTPClient is used for remote kinds; nil means a client with a
	// 2-minute timeout.
	HTTPClient *http.Client
}

// ErrUnknownKind is returned by New for an unknown Config.Kind.
var ErrUnknownKind = errors.New("unknown embedder kind")

// New returns the embedder that cfg selects. The builtin one is a
// *Builtin, which also implements Trainable: check with a type assertion.
func New(cfg Config) (Embedder, error) {
	switch strings.ToLower(strings.TrimSpace(cfg.Kind)) {
	case "", KindBuiltin:
		if cfg.Dimensions != 0 && (cfg.Dimensions < minBuiltinDims || cfg.Dimensions > maxBuiltinDims) {
			return nil, fmt.Errorf("embed: builtin: dimensions %d out of range %d..%d", cfg.Dimensions, minBuiltinDims, maxBuiltinDims)
		}
		return NewBuiltin(BuiltinOptions{Dims: cfg.Dimensions}), nil
	case KindOllama:
		return NewOllama(cfg.Model, cfg.URL, cfg.Dimensions, cfg.BatchSize, cfg.HTTPClient)
	case KindOpenAI:
		return NewOpenAI(OpenAIOptions{
			Model:      cfg.Model,
			URL:        cfg.URL,
			APIKey:     cfg.APIKey,
			Dimensions: cfg.Dimensions,
			BatchSize:  cfg.BatchSize,
			HTTPClient: cfg.HTTPClient,
		})
	default:
		return nil, fmt.Errorf("embed: %w %q (want %s, %s or %s)", ErrUnknownKind, cfg.Kind, KindBuiltin, KindOllama, KindOpenAI)
	}
}
