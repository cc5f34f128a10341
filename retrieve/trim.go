package retrieve

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// maxCallerNames bounds the cache of callers' identities; past it the
// cache starts over.
const maxCallerNames = 4096

// identityTTL is how long a caller's user name and groups are trusted
// without asking the server again: group changes show within it.
const identityTTL = 10 * time.Minute

// identity is who a credential logs in as, and the groups that user is in.
type identity struct {
	Name        string    `json:"name"`
	Groups      []string  `json:"groups,omitempty"`
	GroupsKnown bool      `json:"groupsKnown,omitempty"`
	Checked     time.Time `json:"checked"`
	// Containers are the spaces or projects in which a live check let the
	// caller open a document: offline, an open document outside them is
	// left out (the caller may lack the space's or project's permission).
	Containers []string `json:"containers,omitempty"`
}

// callerNames remembers who each caller's credentials log in as, so that
// telling the syncing account from another caller costs one request per
// credential, not one per query.
type callerNames struct {
	mu    sync.Mutex
	names map[string]identity // product, sha256 of the credentials → identity
}

func credentialKey(product string, cr *atlassian.Credentials) string {
	sum := sha256.Sum256([]byte(cr.Token + "\x00" + cr.Username + "\x00" + cr.Password))
	return product + ":" + hex.EncodeToString(sum[:])
}

// callerOf is who ctx's hits are trimmed for: the caller of the request
// (atlassian.WithCaller), else the configured account (Options.Account),
// else nobody.
func (s *Searcher) callerOf(ctx context.Context) (atlassian.Caller, bool) {
	if c, ok := atlassian.CallerFrom(ctx); ok {
		return c, true
	}
	if s.opts.Account != nil {
		return *s.opts.Account, true
	}
	return atlassian.Caller{}, false
}

// Trims reports whether Trim may drop hits for ctx's caller: callers that
// ask for k results then ask the index for more.
func (s *Searcher) Trims(ctx context.Context) bool {
	_, ok := s.callerOf(ctx)
	return ok
}

// Trim keeps the hits that ctx's caller (atlassian.WithCaller, or
// Options.Account) may open on the server now; without a caller it returns
// hits as they are. Live hits were found with the caller's own credentials
// and stay. Index hits are kept without a request when the caller is the
// account that built the index. For another caller, a hit whose stored
// readers shut the caller out (a restriction that names neither the user
// nor one of their groups) is dropped without a request, and the rest are
// checked in one batched search per product (CQL id in (…), JQL key in
// (…)) run as the caller: stored readers may be a sync old, and say
// nothing of space and project permissions, so they never admit alone.
// When the server cannot be asked, only hits known to be unrestricted, in
// a space or project where the caller opened something before, are kept
// (see Options.StateDir); the rest are left out and a note says so by
// count only. Nothing of a dropped hit reaches the answer.
func (s *Searcher) Trim(ctx context.Context, hits []Hit) ([]Hit, []string) {
	caller, ok := s.callerOf(ctx)
	if !ok {
		return hits, nil
	}
	var notes []string
	keep := make(map[string]bool, len(hits))
	for _, src := range []string{search.SourceConfluence, search.SourceJira} {
		var idx []Hit
		for _, h := range hits {
			if h.Origin == OriginIndex && h.Source == src {
				idx = append(idx, h)
			}
		}
		if len(idx) == 0 {
			continue
		}
		cr := caller.Confluence
		if src == search.SourceJira {
			cr = caller.Jira
		}
		if cr == nil {
			notes = append(notes, fmt.Sprintf("%d %s results of the index were left out: send your own %s credentials to see those you may open",
				len(idx), productLabel(src), productLabel(src)))
			continue
		}
		kept, note := s.trimSource(ctx, src, cr, idx)
		if note != "" {
			notes = append(notes, note)
		}
		for _, h := range kept {
			keep[src+"\x00"+h.Key] = true
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

// trimSource keeps the index hits of src that cr's user may open.
func (s *Searcher) trimSource(ctx context.Context, src string, cr *atlassian.Credentials, hits []Hit) ([]Hit, string) {
	unverified := func(n int) string {
		return fmt.Sprintf("%d %s results of the index were left out: the server could not be asked whether you may open them",
			n, productLabel(src))
	}
	who, online := s.callerIdentity(ctx, src, cr)
	syncer := s.syncer(ctx, src)
	if who.Name != "" && who.Name == syncer {
		return hits, ""
	}
	if who.Name == "" {
		return nil, unverified(len(hits))
	}
	readers := map[string]search.Readers{}
	if idx, err := s.Index(ctx); err == nil {
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.DocID
		}
		if rs, err := idx.Readers(ctx, ids); err == nil {
			readers = rs
		}
	}
	var ask []Hit
	for _, h := range hits {
		if r, ok := readers[h.DocID]; ok && r.Denies(who.Name, who.Groups, who.GroupsKnown) {
			continue // shut out by a restriction: dropped, silently
		}
		ask = append(ask, h)
	}
	if len(ask) == 0 {
		return nil, ""
	}
	keys := make([]string, len(ask))
	for i, h := range ask {
		keys[i] = h.Key
	}
	var visible map[string]bool
	err := errors.New("the server did not say who you are")
	if online {
		visible, err = s.visible(ctx, src, keys)
	}
	if err != nil {
		// Offline: what the index knows to be open, where the caller
		// opened something before; nothing restricted or unknown.
		s.opts.Logger.Warn("visibility check failed: restricted and unverifiable index hits dropped", "source", src, "hits", len(ask), "err", err)
		var kept []Hit
		for _, h := range ask {
			if r, ok := readers[h.DocID]; ok && !r.Restricted() && slices.Contains(who.Containers, h.Container) {
				kept = append(kept, h)
			}
		}
		if left := len(ask) - len(kept); left > 0 {
			return kept, unverified(left)
		}
		return kept, ""
	}
	var kept []Hit
	seen, shut := map[string]bool{}, map[string]bool{}
	for _, h := range ask {
		r, known := readers[h.DocID]
		switch {
		case visible[h.Key]:
			kept = append(kept, h)
			seen[h.Container] = true
		case known && !r.Restricted():
			shut[h.Container] = true // an open document hidden: the space or project is
		}
	}
	for c := range seen {
		delete(shut, c)
	}
	s.rememberContainers(src, cr, seen, shut)
	return kept, ""
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
	caller, ok := s.callerOf(ctx)
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
	who, _ := s.callerIdentity(ctx, src, cr)
	return who.Name != "" && who.Name == syncer
}

// callerIdentity is who cr logs in to src as. It is asked of the server
// (user name and groups) once per credential and identityTTL, and
// remembered in StateDir; when the server cannot answer, the remembered
// identity stands in (online is then false), or none: Name "".
func (s *Searcher) callerIdentity(ctx context.Context, src string, cr *atlassian.Credentials) (who identity, online bool) {
	key := credentialKey(src, cr)
	s.names.mu.Lock()
	who, ok := s.names.names[key]
	s.names.mu.Unlock()
	if ok && s.opts.Now().Sub(who.Checked) < identityTTL {
		return who, true
	}
	if !ok {
		who, ok = s.state.get(s.opts.StateDir, src, cr)
	}
	// A credential logs in as the same user for good: the account that
	// synced needs no groups, so its remembered name stands.
	if ok && (s.opts.Now().Sub(who.Checked) < identityTTL || who.Name == s.syncer(ctx, src)) {
		s.cacheIdentity(key, who)
		return who, true
	}
	lctx, cancel := s.liveContext(ctx)
	fresh, err := s.askIdentity(lctx, src, s.syncer(ctx, src))
	cancel()
	if err != nil {
		if ok {
			return who, false // offline: the last identity this credential had
		}
		return identity{}, false
	}
	if ok && fresh.Name == who.Name {
		fresh.Containers = who.Containers
	}
	fresh.Checked = s.opts.Now()
	s.cacheIdentity(key, fresh)
	s.state.put(s.opts.StateDir, src, cr, fresh, s.opts.Logger)
	return fresh, true
}

func (s *Searcher) cacheIdentity(key string, who identity) {
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	if s.names.names == nil || len(s.names.names) >= maxCallerNames {
		s.names.names = map[string]identity{}
	}
	s.names.names[key] = who
}

// rememberContainers updates where cr may open documents, as remembered
// for the offline case: a live check let it open one in seen, and hid
// open ones (a space or project permission it lacks) in shut.
func (s *Searcher) rememberContainers(src string, cr *atlassian.Credentials, seen, shut map[string]bool) {
	key := credentialKey(src, cr)
	s.names.mu.Lock()
	who, ok := s.names.names[key]
	if !ok {
		s.names.mu.Unlock()
		return
	}
	before := who.Containers
	// A copy: others may hold the old slice.
	who.Containers = slices.DeleteFunc(slices.Clone(before), func(c string) bool { return shut[c] })
	for c := range seen {
		if !slices.Contains(who.Containers, c) {
			who.Containers = append(who.Containers, c)
		}
	}
	slices.Sort(who.Containers)
	changed := !slices.Equal(before, who.Containers)
	if changed {
		s.names.names[key] = who
	}
	s.names.mu.Unlock()
	if changed {
		s.state.put(s.opts.StateDir, src, cr, who, s.opts.Logger)
	}
}

// askIdentity asks src, as ctx's caller, for its user name and groups
// (not for the syncing account, which needs none). Groups that cannot be
// read leave GroupsKnown false: restrictions to groups then decide
// nothing before the live check.
func (s *Searcher) askIdentity(ctx context.Context, src, syncer string) (identity, error) {
	l := s.opts.Live
	var who identity
	switch {
	case l == nil:
		return who, errors.New("no server configured")
	case src == search.SourceConfluence && l.Confluence != nil:
		u, resp, err := l.Confluence.Users.Current(ctx)
		if err != nil {
			return who, err
		}
		if u.Type == "anonymous" || anonymous(resp) {
			return who, errors.New("answered as anonymous")
		}
		who.Name = cmp.Or(u.Username, u.UserKey)
		if who.Name == syncer {
			break
		}
		req, err := l.Confluence.NewRequest(ctx, http.MethodGet, "rest/api/user/memberof", url.Values{"username": {who.Name}, "limit": {"200"}}, nil)
		if err == nil {
			var page struct {
				Results []struct{ Name string } `json:"results"`
				Links   struct{ Next string }   `json:"_links"`
			}
			if _, err := l.Confluence.Do(req, &page); err == nil && page.Links.Next == "" {
				for _, g := range page.Results {
					who.Groups = append(who.Groups, g.Name)
				}
				who.GroupsKnown = true
			}
		}
	case src == search.SourceJira && l.Jira != nil:
		req, err := l.Jira.NewRequest(ctx, http.MethodGet, "rest/api/2/myself", url.Values{"expand": {"groups"}}, nil)
		if err != nil {
			return who, err
		}
		var u struct {
			Name, Key string
			Groups    *struct {
				Size  int
				Items []struct{ Name string }
			}
		}
		resp, err := l.Jira.Do(req, &u)
		if err != nil {
			return who, err
		}
		if anonymous(resp) {
			return who, errors.New("answered as anonymous")
		}
		who.Name = cmp.Or(u.Name, u.Key)
		if g := u.Groups; g != nil && len(g.Items) == g.Size {
			for _, it := range g.Items {
				who.Groups = append(who.Groups, it.Name)
			}
			who.GroupsKnown = true
		}
	default:
		return who, fmt.Errorf("%s is not configured", src)
	}
	if who.Name == "" {
		return who, errors.New("the server gave no user name")
	}
	return who, nil
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
