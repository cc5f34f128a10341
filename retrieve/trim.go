package retrieve

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
)

// syncers caches who synced each product into an index.
type syncers struct {
	idx   *search.Index
	names map[string]string // source → user name
	at    time.Time
}

// checkBatch is how many documents one visibility check asks about: one
// request per product for any answer of up to checkBatch index hits.
const checkBatch = 50

// maxCallerNames bounds the cache of callers' user names; past it the
// cache starts over.
const maxCallerNames = 4096

// callerNames remembers who each caller's credentials log in as, so that
// telling the syncing account from another caller costs one request per
// credential, not one per query.
type callerNames struct {
	mu    sync.Mutex
	names map[string]string // product, sha256 of the credentials → user name
}

func credentialKey(product string, cr *atlassian.Credentials) string {
	sum := sha256.Sum256([]byte(cr.Token + "\x00" + cr.Username + "\x00" + cr.Password))
	return product + ":" + hex.EncodeToString(sum[:])
}

// Trim keeps the hits that ctx's caller (atlassian.WithCaller) may open on
// the server now; without a caller it returns hits as they are. Live hits
// were found with the caller's own credentials and stay. Index hits are
// kept without a request when the caller is the account that built the
// index, else checked in one batched search per product (CQL id in (…),
// JQL key in (…)) run as the caller. A product that cannot be asked loses
// all its index hits (hidden by default: a restriction added since the
// last sync is not in the index), and a note says so by count only.
// Nothing of a dropped hit reaches the answer.
func (s *Searcher) Trim(ctx context.Context, hits []Hit) ([]Hit, []string) {
	caller, ok := atlassian.CallerFrom(ctx)
	if !ok {
		return hits, nil
	}
	var notes []string
	keep := make(map[string]bool, len(hits))
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		var keys []string
		for _, h := range hits {
			if h.Origin == OriginIndex && h.Source == src {
				keys = append(keys, h.Key)
			}
		}
		if len(keys) == 0 {
			continue
		}
		cr := caller.Confluence
		if src == search.SourceJira {
			cr = caller.Jira
		}
		if cr == nil {
			notes = append(notes, fmt.Sprintf("%d %s results of the index were left out: send your own %s credentials to see those you may open",
				len(keys), productLabel(src), productLabel(src)))
			continue
		}
		if s.isSyncer(ctx, src, cr) {
			for _, k := range keys {
				keep[src+"\x00"+k] = true
			}
			continue
		}
		visible, err := s.visible(ctx, src, keys)
		if err != nil {
			s.opts.Logger.Warn("visibility check failed: index hits dropped", "source", src, "hits", len(keys), "err", err)
			notes = append(notes, fmt.Sprintf("%d %s results of the index were left out: the server could not be asked whether you may open them",
				len(keys), productLabel(src)))
			continue
		}
		for k := range visible {
			keep[src+"\x00"+k] = true
		}
	}
	kept := hits[:0:0]
	for _, h := range hits {
		if h.Origin != OriginIndex || keep[h.Source+"\x00"+h.Key] {
			kept = append(kept, h)
		}
	}
	return kept, notes
}

func productLabel(src string) string {
	if src == search.SourceJira {
		return "Jira"
	}
	return "Confluence"
}

// callerIsSyncer reports whether ctx has no caller, or one whose
// credentials log in as the account that synced each product the index
// holds: their hits need no trimming.
func (s *Searcher) callerIsSyncer(ctx context.Context) bool {
	caller, ok := atlassian.CallerFrom(ctx)
	if !ok {
		return true
	}
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		if s.syncer(ctx, src) == "" {
			continue // the index holds nothing of src
		}
		cr := caller.Confluence
		if src == search.SourceJira {
			cr = caller.Jira
		}
		if cr == nil || !s.isSyncer(ctx, src, cr) {
			return false
		}
	}
	return true
}

// syncer is the user name that synced src into the index, "" for none;
// read from the index's meta, and cached for coverageTTL like its coverage.
func (s *Searcher) syncer(ctx context.Context, src string) string {
	idx, err := s.Index(ctx)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	if s.syncers.idx == idx && s.opts.Now().Sub(s.syncers.at) < coverageTTL {
		name := s.syncers.names[src]
		s.mu.Unlock()
		return name
	}
	s.mu.Unlock()
	names := map[string]string{}
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		name, err := idx.Meta(ctx, "indexer.user."+src)
		if err != nil {
			return "" // not cached: asked again next time
		}
		names[src] = string(name)
	}
	s.mu.Lock()
	s.syncers.idx, s.syncers.names, s.syncers.at = idx, names, s.opts.Now()
	s.mu.Unlock()
	return names[src]
}

// isSyncer reports whether cr logs in to src as the account that synced
// the index (its meta key indexer.user.<source>). Any doubt is a no.
func (s *Searcher) isSyncer(ctx context.Context, src string, cr *atlassian.Credentials) bool {
	syncer := s.syncer(ctx, src)
	if syncer == "" {
		return false
	}
	name := s.callerName(ctx, src, cr)
	return name != "" && name == syncer
}

// callerName is the user name cr logs in to src as, asked of the server
// once per credential; "" when the server cannot say.
func (s *Searcher) callerName(ctx context.Context, src string, cr *atlassian.Credentials) string {
	key := credentialKey(src, cr)
	s.names.mu.Lock()
	name, ok := s.names.names[key]
	s.names.mu.Unlock()
	if ok {
		return name
	}
	l := s.opts.Live
	if l == nil {
		return ""
	}
	switch {
	case src == search.SourceConfluence && l.Confluence != nil:
		u, resp, err := l.Confluence.Users.Current(ctx)
		if err != nil || u.Type == "anonymous" || anonymous(resp) {
			return ""
		}
		name = cmp.Or(u.Username, u.UserKey)
	case src == search.SourceJira && l.Jira != nil:
		u, resp, err := l.Jira.Meta.Myself(ctx)
		if err != nil || anonymous(resp) {
			return ""
		}
		name = cmp.Or(u.Name, u.Key)
	}
	if name == "" {
		return ""
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	if s.names.names == nil || len(s.names.names) >= maxCallerNames {
		s.names.names = map[string]string{}
	}
	s.names.names[key] = name
	return name
}

func anonymous(resp *atlassian.Response) bool {
	return resp != nil && resp.Response != nil && resp.Header.Get("X-AUSERNAME") == "anonymous"
}

// visible asks src, as ctx's caller, which of keys it may open.
func (s *Searcher) visible(ctx context.Context, src string, keys []string) (map[string]bool, error) {
	l := s.opts.Live
	if l == nil || src == search.SourceConfluence && l.Confluence == nil || src == search.SourceJira && l.Jira == nil {
		return nil, fmt.Errorf("%s is not configured", src)
	}
	ctx, cancel := s.liveContext(ctx)
	defer cancel()
	out := make(map[string]bool, len(keys))
	for start := 0; start < len(keys); start += checkBatch {
		batch := keys[start:min(len(keys), start+checkBatch)]
		if src == search.SourceConfluence {
			for _, id := range batch {
				if !isDigits(id) {
					return nil, fmt.Errorf("page id %q is not a number", id)
				}
			}
			page, _, err := l.Confluence.Content.Search(ctx, "id in ("+strings.Join(batch, ",")+")",
				&atlassian.SearchOptions{ListOptions: atlassian.ListOptions{Limit: len(batch)}})
			if err != nil {
				return nil, err
			}
			for _, c := range page.Results {
				out[c.ID.String()] = true
			}
			continue
		}
		// warn, not strict: a key the caller may not see would fail the
		// whole search instead of being left out.
		page, _, err := l.Jira.Issues.Search(ctx, "key in ("+quoteAll(batch)+")",
			&atlassian.SearchIssuesOptions{MaxResults: len(batch), Fields: []string{"key"}, ValidateQuery: "warn"})
		if err != nil {
			return nil, err
		}
		for _, is := range page.Issues {
			out[is.Key] = true
		}
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
