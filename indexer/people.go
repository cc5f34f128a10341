package indexer

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// userNames resolves Confluence user keys (how real pages store mentions)
// to display names with /rest/api/user?key=, once per key and sync.
type userNames struct {
	mu    sync.Mutex
	names map[string]string // key → display name; "" when the server knows none
}

func (u *userNames) name(ctx context.Context, c *atlassian.Confluence, key string, st *Stages) string {
	u.mu.Lock()
	name, ok := u.names[key]
	u.mu.Unlock()
	if ok {
		return name
	}
	t0 := time.Now()
	req, err := c.NewRequest(ctx, http.MethodGet, "rest/api/user", url.Values{"key": {key}}, nil)
	if err != nil {
		return ""
	}
	var user atlassian.User
	_, err = c.Do(req, &user)
	st.Fetch += time.Since(t0)
	st.requests++
	if err != nil && !errors.Is(err, atlassian.ErrNotFound) {
		return "" // not remembered: a later mention asks again
	}
	name = user.DisplayName
	u.mu.Lock()
	if u.names == nil {
		u.names = map[string]string{}
	}
	u.names[key] = name
	u.mu.Unlock()
	return name
}
