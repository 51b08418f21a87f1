package sim

import (
	"container/heap"
	"time"
)

// event is something due at a time. Events at the same time run in the order they were added.
type event struct {
	at  time.Time
	seq uint64
	// key names a deduplicated event (a reconcile of one object); "" for others.
	key string
	run func()
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// queue orders events by time. Keyed events behave like a workqueue with AddAfter: a key due
// at or before the new time is not added again, and an earlier time replaces a later one.
type queue struct {
	h    eventHeap
	seq  uint64
	due  map[string]time.Time
	runs int
}

func newQueue() *queue { return &queue{due: map[string]time.Time{}} }

func (q *queue) add(at time.Time, key string, run func()) {
	if key != "" {
		if t, ok := q.due[key]; ok && !t.After(at) {
			return
		}
		q.due[key] = at
	}
	q.seq++
	heap.Push(&q.h, &event{at: at, seq: q.seq, key: key, run: run})
}

// next removes and returns the next live event, or nil.
func (q *queue) next() *event {
	for q.h.Len() > 0 {
		if e := q.take(heap.Pop(&q.h).(*event)); e != nil {
			return e
		}
	}
	return nil
}

// take returns a popped event if it is live (nil when a keyed event was replaced by an earlier
// entry that already ran), and counts it.
func (q *queue) take(e *event) *event {
	if e.key != "" {
		if t, ok := q.due[e.key]; !ok || !t.Equal(e.at) {
			return nil
		}
		delete(q.due, e.key)
	}
	q.runs++
	return e
}

// peek is the time of the next event (possibly a stale one), and whether there is any.
func (q *queue) peek() (time.Time, bool) {
	if q.h.Len() == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

// cancel drops the keyed event that is due, if any: it will not run (a Job deleted before it
// ends, say).
func (q *queue) cancel(key string) { delete(q.due, key) }
