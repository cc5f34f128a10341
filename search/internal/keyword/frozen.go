package keyword

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Save writes k in the form Load reads: the chunks' lengths, then the
// terms with their posting counts, then every posting list's bytes in
// term order. The lists are written as they are, tombstones included, so
// the Index Load returns is k again, down to its ordinals.
func (k *Index) Save(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(k.length)))
	b = binary.AppendUvarint(b, uint64(k.live))
	b = binary.AppendUvarint(b, uint64(k.dead))
	b = binary.AppendUvarint(b, uint64(k.totalLen))
	if _, err := bw.Write(b); err != nil {
		return err
	}
	var four [4]byte
	for _, l := range k.length {
		binary.LittleEndian.PutUint32(four[:], uint32(l))
		if _, err := bw.Write(four[:]); err != nil {
			return err
		}
	}
	// Terms in id order: their posting lists follow in the same order.
	names := make([]string, len(k.postings))
	for t, id := range k.terms {
		names[id] = t
	}
	b = binary.AppendUvarint(b[:0], uint64(len(names)))
	if _, err := bw.Write(b); err != nil {
		return err
	}
	for id, t := range names {
		l := &k.postings[id]
		b = binary.AppendUvarint(b[:0], uint64(len(t)))
		b = append(b, t...)
		b = binary.AppendUvarint(b, uint64(l.n))
		b = binary.AppendUvarint(b, uint64(l.last))
		b = binary.AppendUvarint(b, uint64(len(l.data)+len(l.tail)))
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	for id := range names {
		for _, seg := range k.postings[id].segments() {
			if _, err := bw.Write(seg); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// ErrFrozen is matched by the error Load returns for bytes Save did not
// write (a damaged or truncated file).
var ErrFrozen = errors.New("malformed saved keyword index")

// Load returns the Index that Save wrote into b. The posting lists are
// not copied: b must stay valid, and unchanged, as long as the Index is
// used. Load never writes to b (later Adds and Compact copy a list before
// changing it), so b may be a read-only mapping of a file; only the terms
// and the chunks' lengths are read at once.
func Load(b []byte) (*Index, error) {
	r := frozenReader{b: b}
	n := r.uvarint()
	k := &Index{live: int(r.uvarint()), dead: int(r.uvarint()), totalLen: int64(r.uvarint())}
	if r.err != nil || n > uint64(len(r.b))/4 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: chunk count", ErrFrozen)
	}
	k.length = make([]int32, n, n+min(n/16, 1<<16)) // room for chunks added after
	for i := range k.length {
		k.length[i] = int32(binary.LittleEndian.Uint32(r.b[4*i:]))
	}
	r.b = r.b[4*n:]
	terms := r.uvarint()
	if r.err != nil || terms > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: term count", ErrFrozen)
	}
	k.terms = make(map[string]int32, terms)
	k.postings = make([]postingList, terms)
	sizes := make([]uint64, terms)
	var total uint64
	for id := range k.postings {
		name := r.bytes(r.uvarint())
		l := &k.postings[id]
		pn, last := r.uvarint(), r.uvarint()
		sizes[id] = r.uvarint()
		total += sizes[id]
		if r.err != nil || pn > math.MaxInt32 || last > math.MaxInt32 {
			return nil, fmt.Errorf("%w: term %d", ErrFrozen, id)
		}
		l.n, l.last = int32(pn), int32(last)
		k.terms[string(name)] = int32(id)
	}
	if total != uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: %d bytes of postings, want %d", ErrFrozen, len(r.b), total)
	}
	for id, size := range sizes {
		// A full slice expression: an append to a list copies it
		// rather than write past it into the next list.
		k.postings[id].data = r.b[:size:size]
		r.b = r.b[size:]
	}
	k.shared = true
	return k, nil
}

// frozenReader reads what Save wrote; the first error sticks.
type frozenReader struct {
	b   []byte
	err error
}

func (r *frozenReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = ErrFrozen
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *frozenReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = ErrFrozen
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
