package retrieve

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/search"
)

// callersFile is where a Searcher remembers callers' identities in
// Options.StateDir.
const callersFile = "callers.json"

// stateIterations makes a guess at a password from the file slow: the
// file holds no credential, only a salted PBKDF2 of it. Derived once per
// credential and process.
const stateIterations = 20_000

// maxRemembered bounds the file; past it the oldest half is forgotten.
const maxRemembered = 256

// callerState reads and writes the callers file.
type callerState struct {
	mu      sync.Mutex
	derived map[string]string // credentialKey → key in the file
}

type callersDoc struct {
	Salt    string              `json:"salt"`
	Callers map[string]identity `json:"callers"`
}

func (st *callerState) load(dir string) (callersDoc, error) {
	var doc callersDoc
	b, err := os.ReadFile(filepath.Join(dir, callersFile))
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		return doc, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return callersDoc{}, nil // damaged: start over, it is only a cache
	}
	return doc, nil
}

// fileKey is the file's key for cr's login to src.
func (st *callerState) fileKey(salt, src string, cr *atlassian.Credentials) (string, error) {
	mem := credentialKey(src, cr) + ":" + salt
	if k, ok := st.derived[mem]; ok {
		return k, nil
	}
	k, err := pbkdf2.Key(sha256.New, cr.Token+"\x00"+cr.Username+"\x00"+cr.Password, []byte(salt+"\x00"+src), stateIterations, 32)
	if err != nil {
		return "", err
	}
	if st.derived == nil || len(st.derived) >= maxCallerNames {
		st.derived = map[string]string{}
	}
	st.derived[mem] = hex.EncodeToString(k)
	return st.derived[mem], nil
}

// get returns the identity remembered for cr's login to src.
func (st *callerState) get(dir, src string, cr *atlassian.Credentials) (identity, bool) {
	if dir == "" {
		return identity{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	doc, err := st.load(dir)
	if err != nil || doc.Salt == "" {
		return identity{}, false
	}
	k, err := st.fileKey(doc.Salt, src, cr)
	if err != nil {
		return identity{}, false
	}
	who, ok := doc.Callers[k]
	return who, ok && who.Name != ""
}

// put remembers who for cr's login to src. A failure costs only the
// memory: it is logged.
func (st *callerState) put(dir, src string, cr *atlassian.Credentials, who identity, log *slog.Logger) {
	if dir == "" {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	err := func() error {
		doc, err := st.load(dir)
		if err != nil {
			return err
		}
		if doc.Salt == "" {
			b := make([]byte, 16)
			rand.Read(b)
			doc.Salt, doc.Callers = hex.EncodeToString(b), nil
		}
		if doc.Callers == nil {
			doc.Callers = map[string]identity{}
		}
		k, err := st.fileKey(doc.Salt, src, cr)
		if err != nil {
			return err
		}
		if len(doc.Callers) >= maxRemembered {
			forgetOldest(doc.Callers)
		}
		doc.Callers[k] = who
		b, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(dir, callersFile+".*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(b); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), filepath.Join(dir, callersFile))
	}()
	if err != nil {
		log.Warn("cannot remember the caller's identity: trimming will need the servers", "dir", dir, "err", err)
	}
}

// forgetOldest drops the older half of m.
func forgetOldest(m map[string]identity) {
	type kv struct {
		k string
		w identity
	}
	all := make([]kv, 0, len(m))
	for k, w := range m {
		all = append(all, kv{k, w})
	}
	slices.SortFunc(all, func(a, b kv) int { return a.w.Checked.Compare(b.w.Checked) })
	for _, e := range all[:len(all)/2] {
		delete(m, e.k)
	}
}

// RememberAccount records in dir that account logs in to each of sources
// as the user the index says synced it. A sync calls it for the products
// whose who-am-I check it passed, so that a search with the same
// credentials knows it is the syncing account without asking the servers,
// which may be down by then.
func RememberAccount(ctx context.Context, dir string, idx *search.Index, account *atlassian.Caller, sources []string, log *slog.Logger) {
	if account == nil || idx == nil || dir == "" {
		return
	}
	var st callerState
	for _, src := range sources {
		cr := account.Confluence
		if src == search.SourceJira {
			cr = account.Jira
		}
		if cr == nil {
			continue
		}
		name, err := idx.Meta(ctx, "indexer.user."+src)
		if err != nil || len(name) == 0 {
			continue
		}
		st.put(dir, src, cr, identity{Name: string(name), Checked: time.Now()}, log)
	}
}
