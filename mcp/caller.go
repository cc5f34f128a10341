package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// serviceAccount names, in the audit log, the calls made with the
// configured credentials.
const serviceAccount = "(configured account)"

// callerNames finds and remembers the Atlassian user name behind each
// caller's credentials, for the audit log: a name given with a password is
// taken as is; a token's owner is asked of the server once.
type callerNames struct {
	mu    sync.Mutex
	names map[string]string // sha256 of the token -> user name
}

// maxCallerNames bounds the cache; past it the cache starts over.
const maxCallerNames = 4096

// of returns who ctx's calls run as.
func (n *callerNames) of(ctx context.Context, conf *atlassian.Confluence, jira *atlassian.Jira) string {
	c, ok := atlassian.CallerFrom(ctx)
	if !ok {
		return serviceAccount
	}
	for _, cr := range []*atlassian.Credentials{c.Jira, c.Confluence} {
		if cr != nil && cr.Token == "" && cr.Username != "" {
			return cr.Username
		}
	}
	cr := c.Jira
	if cr == nil {
		cr = c.Confluence
	}
	sum := sha256.Sum256([]byte(cr.Token))
	key := hex.EncodeToString(sum[:])
	n.mu.Lock()
	name, known := n.names[key]
	n.mu.Unlock()
	if known {
		return name
	}
	name = "token " + key[:12] // who it is, when the server cannot say
	switch {
	case c.Jira != nil && jira != nil:
		if u, _, err := jira.Meta.Myself(ctx); err == nil && u.Name != "" {
			name = u.Name
		}
	case c.Confluence != nil && conf != nil:
		if u, _, err := conf.Users.Current(ctx); err == nil && u.Username != "" {
			name = u.Username
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.names == nil || len(n.names) >= maxCallerNames {
		n.names = map[string]string{}
	}
	n.names[key] = name
	return name
}
