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
		heldReaders, err := ix.opts.Index.Readers(ctx, batch)
		if err != nil {
			return out, reqs, err
		}
		fresh := map[string]*search.Readers{}
		for i, id := range batch {
			r, ok := now[refs[i]]
			if !ok || r == nil {
				continue // gone or hidden: the reconciliation decides
			}
			held, err := ix.opts.Index.Lookup(ctx, id)
			if err != nil {
				return out, reqs, err
			}
			if held.Restricted != r.Restricted() {
				out = append(out, item{id: id, ref: refs[i], kind: held.Type, updated: stored[id]})
				continue
			}
			if old, ok := heldReaders[id]; !ok || !old.Equal(*r) {
				fresh[id] = r
			}
		}
		if err := ix.opts.Index.SetReaders(ctx, fresh); err != nil {
			return out, reqs, err
		}
	}
	return out, reqs, nil
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
