package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"

	"github.com/atlasbridge/atlasbridge/embed"
)

// EmbedderStateKey is the meta key under which the index keeps a trainable
// embedder's state (embed.Trainable's MarshalBinary), written in the same
// transaction as the vectors it produced: by the Upsert that first stores
// vectors of a newly fitted model, and by Reembed.
const EmbedderStateKey = "embedder.state"

// trainable returns e as an embed.Trainable, looking through wrappers;
// nil when it is not one.
func trainable(e embed.Embedder) embed.Trainable {
	t, _ := embed.As[embed.Trainable](e)
	return t
}

// checkModel compares the stored model with the embedder's, restoring a
// trainable embedder's state first. An index without chunks adopts the
// embedder's model when adopt is set; otherwise a mismatch is an error
// matching ErrModelChanged.
func (x *Index) checkModel(ctx context.Context, db *sql.DB, adopt bool) error {
	stored, _, err := getMeta(ctx, db, metaModel)
	if err != nil {
		return x.fail("read model", err)
	}
	if string(stored) == x.emb.Model() {
		return nil
	}
	if err := x.restoreEmbedder(ctx, db); err != nil {
		return err
	}
	if string(stored) == x.emb.Model() {
		return nil
	}
	var chunks int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&chunks); err != nil {
		return x.fail("read model", err)
	}
	if chunks > 0 {
		return fmt.Errorf("the index was built with embedder %q but %q is configured: %w; run atlasbridge sync --full to rebuild",
			stored, x.emb.Model(), ErrModelChanged)
	}
	if !adopt {
		return nil
	}
	return x.inTx(ctx, func(tx *sql.Tx) error { return x.adoptModel(ctx, tx) })
}

// adoptModel records the embedder's model (and a trainable embedder's
// state) as the index's, forgetting the old dimensions.
func (x *Index) adoptModel(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN (?, ?)`, metaDims, EmbedderStateKey); err != nil {
		return err
	}
	if t := trainable(x.emb); t != nil {
		// Before Fit there is no state: MarshalBinary fails, nothing to keep.
		if state, err := t.MarshalBinary(); err == nil {
			if err := putMeta(ctx, tx, EmbedderStateKey, state); err != nil {
				return err
			}
		}
	}
	return putMeta(ctx, tx, metaModel, []byte(x.emb.Model()))
}

// restoreEmbedder hands a trainable embedder the state stored with the
// index, if any.
func (x *Index) restoreEmbedder(ctx context.Context, db *sql.DB) error {
	t := trainable(x.emb)
	if t == nil {
		return nil
	}
	state, ok, err := getMeta(ctx, db, EmbedderStateKey)
	if err != nil {
		return x.fail("read embedder state", err)
	}
	if !ok {
		return nil
	}
	if err := t.UnmarshalBinary(state); err != nil {
		return fmt.Errorf("%w from %s: %w; run atlasbridge sync --full to rebuild", ErrEmbedderState, x.dbPath, err)
	}
	return nil
}

// ChunkTexts ranges over the text of every stored chunk, e.g. to Fit a
// trainable embedder or measure its Drift. Check the returned error function
// after ranging: a store error ends the sequence early.
func (x *Index) ChunkTexts(ctx context.Context) (iter.Seq[string], func() error) {
	err := x.usable("read chunk texts")
	seq := func(yield func(string) bool) {
		if err != nil {
			return
		}
		rows, qerr := x.db.QueryContext(ctx, `SELECT text FROM chunks`)
		if qerr != nil {
			err = x.fail("read chunk texts", qerr)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var text string
			if serr := rows.Scan(&text); serr != nil {
				err = x.fail("read chunk texts", serr)
				return
			}
			if !yield(text) {
				return
			}
		}
		if rerr := rows.Err(); rerr != nil {
			err = x.fail("read chunk texts", rerr)
		}
	}
	return seq, func() error { return err }
}

// Reembed embeds every stored chunk again with the embedder's current model
// (after a trainable embedder's Fit), including those stored without vectors
// (UpsertWithoutVectors), and swaps all vectors, the model name
// and the embedder state in one transaction; readers reload in full. It
// returns the number of distinct texts embedded.
//
// The texts are read, embedded and written a page at a time (reembedPage
// distinct hashes, in hash order) inside that transaction, so its memory
// does not grow with the index (holding every text and vector at once was
// the peak of a first sync: BENCHMARKS.md). Readers keep seeing the old
// vectors until the commit (WAL).
func (x *Index) Reembed(ctx context.Context) (int, error) {
	if err := x.writable("re-embed"); err != nil {
		return 0, err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	total, dims := 0, 0
	err := x.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM vectors`); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO vectors (hash, vec) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		var blob []byte
		after := ""
		page := x.reembedPage
		if page <= 0 {
			page = reembedPage
		}
		for {
			hashes, texts, err := reembedPageOf(ctx, tx, after, page)
			if err != nil {
				return err
			}
			if len(hashes) == 0 {
				break
			}
			vecs, err := x.embedAll(ctx, texts, dims)
			if err != nil {
				return &embedError{err}
			}
			for i, h := range hashes {
				blob = appendVector(blob[:0], vecs[i])
				if _, err := ins.ExecContext(ctx, h, blob); err != nil {
					return err
				}
			}
			dims = len(vecs[0])
			total += len(hashes)
			after = hashes[len(hashes)-1]
		}
		if err := x.adoptModel(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, metaPending); err != nil {
			return err
		}
		if dims > 0 {
			if err := putMeta(ctx, tx, metaDims, []byte(strconv.Itoa(dims))); err != nil {
				return err
			}
		}
		return putMeta(ctx, tx, metaEpoch, []byte(newEpoch()))
	})
	var ee *embedError
	if errors.As(err, &ee) {
		return 0, fmt.Errorf("search: re-embed %s: %w", x.dir, ee.err)
	}
	if err != nil {
		return 0, x.fail("re-embed", err)
	}
	x.log.Info("index re-embedded", "dir", x.dir, "model", x.emb.Model(), "texts", total)
	return total, x.refreshIfLoaded(ctx)
}

// VectorsPending reports whether chunks were stored without vectors
// (UpsertWithoutVectors) and no Reembed has embedded them since: the index
// is not ready to search until one does.
func (x *Index) VectorsPending(ctx context.Context) (bool, error) {
	if err := x.usable("read meta"); err != nil {
		return false, err
	}
	_, ok, err := getMeta(ctx, x.db, metaPending)
	if err != nil {
		return false, x.fail("read meta", err)
	}
	return ok, nil
}

// notReady is the error of a search in an index whose vectors are pending.
func (x *Index) notReady() error {
	return noIndex("search: %s is not ready: its first sync stored the documents but has not embedded them yet; run atlasbridge sync to finish it", x.dir)
}

// reembedPage is how many distinct chunk texts Reembed reads and embeds at
// once: enough for the embedder to use every core, few enough that the
// page costs a few MB.
const reembedPage = 1024

// embedError marks an embedder's failure inside a store transaction, so
// that it is not reported as the store's.
type embedError struct{ err error }

func (e *embedError) Error() string { return e.err.Error() }
func (e *embedError) Unwrap() error { return e.err }

// reembedPageOf reads the next page (at most page) of distinct chunk
// hashes after the hash after, each with one of its texts.
func reembedPageOf(ctx context.Context, tx *sql.Tx, after string, page int) (hashes, texts []string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT hash, min(text) FROM chunks WHERE hash > ? GROUP BY hash ORDER BY hash LIMIT ?`,
		after, page)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h, t string
		if err := rows.Scan(&h, &t); err != nil {
			return nil, nil, err
		}
		hashes, texts = append(hashes, h), append(texts, t)
	}
	return hashes, texts, rows.Err()
}

// embedAll embeds texts in batches, checking every vector; dims is the
// dimension they must have (0: whatever the first one has).
func (x *Index) embedAll(ctx context.Context, texts []string, dims int) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	model := x.emb.Model()
	for start := 0; start < len(texts); start += x.batch {
		end := min(start+x.batch, len(texts))
		vs, err := x.emb.Embed(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embed %d chunks with %s: %w", end-start, model, err)
		}
		if len(vs) != end-start {
			return nil, fmt.Errorf("embedder %s returned %d vectors for %d texts", model, len(vs), end-start)
		}
		for _, v := range vs {
			if err := checkVector(v, dims); err != nil {
				return nil, fmt.Errorf("embedder %s: %w", model, err)
			}
			dims = len(v)
		}
		out = append(out, vs...)
	}
	return out, nil
}
