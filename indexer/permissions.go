package indexer

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/atlasbridge/atlasbridge/search"
)

// permissionWindow is how many held documents of a container an ordinary
// sync rechecks for restriction changes: one request's worth, so the
// pass costs one request per container and sync and goes round the whole
// container in turn.
const permissionWindow = bodyPage

// permissionPass finds held documents whose view restrictions changed
// without a new version (restricting a page, or its parent, does not
// touch its modification time): a window of them that moves on every
// sync, or all of them on a reconciliation. A document that became
// restricted or open is returned to be rebuilt (its flag is part of what
// readers of the index hold in memory); one whose readers alone changed,
// or were unknown (an index from before readers were stored), gets them
// written in place, which costs no body fetch.
func (ix *Indexer) permissionPass(ctx context.Context, cr crawler, c container, stored map[string]time.Time, todo []item, all bool, syncs int) ([]item, int, error) {
	busy := make(map[string]bool, len(todo))
	for _, it := range todo {
		busy[it.id] = true
	}
	prefix := cr.source() + ":"
	ids := make([]string, 0, len(stored))
	for id := range stored {
		if !busy[id] && strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if _, listed := cr.(restrictionsListed); listed {
		var err error
		if ids, err = ix.unknownReaders(ctx, ids); err != nil {
			return nil, 0, err
		}
	}
	if len(ids) == 0 {
		return nil, 0, nil
	}
	if !all && len(ids) > permissionWindow {
		from := syncs * permissionWindow % len(ids)
		window := append(ids[from:min(from+permissionWindow, len(ids))], ids[:max(0, from+permissionWindow-len(ids))]...)
		ids = window
	}
	var out []item
	reqs := 0
	queued := make(map[string]bool)
	// compare takes what the server says now of some held documents: one
	// that became restricted or open is queued for a rebuild, new readers
	// are written in place, and the refs whose readers changed are returned.
	compare := func(now map[string]*search.Readers) ([]string, error) {
		var batch []string
		for ref := range now {
			if id := prefix + ref; !busy[id] && !queued[id] {
				if _, held := stored[id]; held {
					batch = append(batch, id)
				}
			}
		}
		slices.Sort(batch)
		heldReaders, err := ix.opts.Index.Readers(ctx, batch)
		if err != nil {
			return nil, err
		}
		var changed []string
		fresh := map[string]*search.Readers{}
		for _, id := range batch {
			ref := strings.TrimPrefix(id, prefix)
			r := now[ref]
			if r == nil {
				continue // gone or hidden: the reconciliation decides
			}
			held, err := ix.opts.Index.Lookup(ctx, id)
			if err != nil {
				return nil, err
			}
			old, known := heldReaders[id]
			if known && old.Equal(*r) {
				continue
			}
			if known || held.Restricted != r.Restricted() {
				changed = append(changed, ref)
			}
			if held.Restricted != r.Restricted() {
				queued[id] = true
				out = append(out, item{id: id, ref: ref, kind: held.Type, updated: stored[id]})
				continue
			}
			fresh[id] = r
		}
		return changed, ix.opts.Index.SetReaders(ctx, fresh)
	}
	var changed []string
	for batch := range slices.Chunk(ids, permissionWindow) {
		refs := make([]string, len(batch))
		for i, id := range batch {
			refs[i] = strings.TrimPrefix(id, prefix)
		}
		now, n, err := cr.restricted(ctx, c, refs)
		reqs += n
		if err != nil {
			return out, reqs, err
		}
		if now == nil {
			return nil, reqs, nil
		}
		ch, err := compare(now)
		if err != nil {
			return out, reqs, err
		}
		changed = append(changed, ch...)
	}
	// What a page admits is inherited by every page below it, none of
	// which gets a new version either: below a page whose readers changed,
	// the pass looks at once rather than when the window comes round.
	sub, ok := cr.(subtreeRestrictions)
	for len(changed) > 0 && ok && !all {
		ref := changed[0]
		changed = changed[1:]
		now, n, err := sub.restrictedUnder(ctx, c, ref, subtreeLimit)
		reqs += n
		if err != nil {
			return out, reqs, err
		}
		ch, err := compare(now)
		if err != nil {
			return out, reqs, err
		}
		changed = append(changed, ch...)
	}
	return out, reqs, nil
}

// subtreeLimit bounds how many documents below one changed page a sync
// rechecks at once; the rotating window reaches the rest of a larger tree.
const subtreeLimit = 10 * permissionWindow

// subtreeRestrictions is a crawler that can list the readers of what lies
// below a document (Confluence: CQL ancestor = id).
type subtreeRestrictions interface {
	restrictedUnder(ctx context.Context, c container, ref string, limit int) (map[string]*search.Readers, int, error)
}

// restrictionsListed is a crawler whose restriction changes move the
// modification time (Jira: setting a security level is an edit), so the
// listing finds them: its permission pass only fills in readers the index
// does not know (documents indexed before readers were stored).
type restrictionsListed interface{ restrictionsListed() }

func (*jiraCrawler) restrictionsListed() {}

// unknownReaders returns those of ids (sorted) whose readers the index
// does not know.
func (ix *Indexer) unknownReaders(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for batch := range slices.Chunk(ids, 500) {
		known, err := ix.opts.Index.Readers(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, id := range batch {
			if _, ok := known[id]; !ok {
				out = append(out, id)
			}
		}
	}
	return out, nil
}
