package kubelet

import (
	"bytes"
	"strings"
	"sync"
)

// startLines reads the two lines demoapp prints once its ports are bound ("listening ADDR",
// "admin ADDR") and drops everything after.
type startLines struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	adminAddr string
	ready     chan struct{}
	seen      bool
}

func newStartLines() *startLines { return &startLines{ready: make(chan struct{})} }

func (s *startLines) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen {
		return len(b), nil
	}
	s.buf.Write(b)
	for {
		line, err := s.buf.ReadString('\n')
		if err != nil {
			s.buf.Reset()
			s.buf.WriteString(line) // an unfinished line waits for the rest
			return len(b), nil
		}
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "admin "); ok {
			s.adminAddr, s.seen = a, true
			close(s.ready)
			return len(b), nil
		}
	}
}

func (s *startLines) admin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminAddr
}

// tail keeps the last 2 KiB a process wrote, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 2048

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailMax {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailMax:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
