package indexer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/atlasbridge/atlasbridge/atlassian"
)

// A server that does not accept the credentials may still answer, as the
// anonymous user, with 200s that list nothing: a sync that believed them
// would delete the index. These errors stop a sync before it changes
// anything.
var (
	// ErrAnonymous: a server answers as the anonymous user (credentials
	// ignored, e.g. a Bearer token on a server older than personal access
	// tokens, or a login it refused).
	ErrAnonymous = errors.New("the server answers as the anonymous user")
	// ErrOtherUser: a server answers as another user than the one the
	// index was built by; what that user may see is not what the index
	// holds.
	ErrOtherUser = errors.New("the server answers as another user than the one the index was built by")
	// ErrTooManyDrops: a sync would delete more than Options.MaxDrop of
	// the index; RunOptions.Force allows it.
	ErrTooManyDrops = errors.New("the sync would delete too much of the index")
)

// loginDenied is Seraph's reason for a login it refused without checking
// the password (too many failures: it wants a CAPTCHA in a browser).
const loginDenied = "AUTHENTICATION_DENIED"

// whoami asks Confluence who it thinks the caller is.
func (cc *confluenceCrawler) whoami(ctx context.Context) (string, error) {
	u, resp, err := cc.c.Users.Current(ctx)
	if err != nil {
		return "", asAnonymous("confluence", err)
	}
	if reason := header(resp, "X-Seraph-LoginReason"); reason == loginDenied {
		return "", fmt.Errorf("confluence: %w: the login was refused (X-Seraph-LoginReason: %s); log in once in a browser to clear the CAPTCHA", ErrAnonymous, reason)
	}
	name := cmp.Or(u.Username, u.UserKey)
	if u.Type == "anonymous" || name == "" || header(resp, "X-AUSERNAME") == "anonymous" {
		return "", fmt.Errorf("confluence: %w: check CONFLUENCE_PERSONAL_TOKEN (Confluence before 7.9 ignores it) or CONFLUENCE_USERNAME and CONFLUENCE_API_TOKEN", ErrAnonymous)
	}
	return name, nil
}

// whoami asks Jira who it thinks the caller is.
func (jc *jiraCrawler) whoami(ctx context.Context) (string, error) {
	u, resp, err := jc.j.Meta.Myself(ctx)
	if err != nil {
		return "", asAnonymous("jira", err)
	}
	if reason := header(resp, "X-Seraph-LoginReason"); reason == loginDenied {
		return "", fmt.Errorf("jira: %w: the login was refused (X-Seraph-LoginReason: %s); log in once in a browser to clear the CAPTCHA", ErrAnonymous, reason)
	}
	name := cmp.Or(u.Name, u.Key)
	if name == "" || header(resp, "X-AUSERNAME") == "anonymous" {
		return "", fmt.Errorf("jira: %w: check JIRA_PERSONAL_TOKEN (Jira before 8.14 ignores it) or JIRA_USERNAME and JIRA_API_TOKEN", ErrAnonymous)
	}
	return name, nil
}

// asAnonymous turns a 401 of the who-am-I call into ErrAnonymous (Jira's
// myself answers anonymous callers 401); other errors pass through.
func asAnonymous(product string, err error) error {
	var ae *atlassian.Error
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: %w: %w", product, ErrAnonymous, err)
	}
	return fmt.Errorf("%s: who am I: %w", product, err)
}

func header(resp *atlassian.Response, name string) string {
	if resp == nil || resp.Response == nil {
		return ""
	}
	return resp.Header.Get(name)
}

// checkIdentity stops a sync whose server answers as anonymous or as
// another user than the one the index was built by (remembered in the
// index's meta on the first sync).
// Only a full rebuild with force may change the user.
func (ix *Indexer) checkIdentity(ctx context.Context, cr crawler, run RunOptions) error {
	name, err := cr.whoami(ctx)
	if err != nil {
		return err
	}
	key := "indexer.user." + cr.source()
	prev, err := ix.opts.Index.Meta(ctx, key)
	if err != nil {
		return fmt.Errorf("indexer: %w", err)
	}
	if p := ix.opts.Previous; p != nil && len(prev) == 0 {
		// A rebuild starts empty: the index it replaces says who built it.
		if prev, err = p.Meta(ctx, key); err != nil {
			ix.log.Warn("the index being replaced cannot be read; its user is not compared", "err", err)
			prev = nil
		}
	}
	changed := len(prev) > 0 && string(prev) != name
	if changed && !(run.Full && run.Force) {
		return fmt.Errorf("%s: %w: the index was built as %q, the server answers as %q; use that account, or sync --full --force to rebuild as the new one", cr.source(), ErrOtherUser, prev, name)
	}
	if len(prev) == 0 || changed {
		if err := ix.opts.Index.SetMeta(ctx, key, []byte(name)); err != nil {
			return fmt.Errorf("indexer: %w", err)
		}
	}
	return nil
}

// dropBudget is how many documents one sync may still delete.
type dropBudget struct {
	left, total int
	share       float64
	unlimited   bool
}

// newDropBudget allows a sync to delete share of the total documents the
// index holds (anything with unlimited: --force).
func newDropBudget(total int, share float64, unlimited bool) dropBudget {
	return dropBudget{left: int(share * float64(total)), total: total, share: share, unlimited: unlimited}
}

// spend takes n deletions from the budget, or refuses them all.
func (b *dropBudget) spend(n int) error {
	if b.unlimited || n == 0 {
		return nil
	}
	if n > b.left {
		return fmt.Errorf("%w: %d more of its %d documents (more than %.0f%% in one sync); nothing was deleted here: check the account's permissions, or sync --force if it is meant", ErrTooManyDrops, n, b.total, b.share*100)
	}
	b.left -= n
	return nil
}
