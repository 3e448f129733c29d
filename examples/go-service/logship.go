package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// lineShipper is an io.Writer for logrus that keeps each JSON line (also writing it to `local`, a
// file or stdout) and POSTs them in batches to otelhouse's JSON-lines route (POST /v1/logs/json):
// every `every`, when `maxBytes` are waiting, and on Close. A batch the collector refuses with 429 or
// 5xx, or that cannot be sent, is kept and sent again with the next flush (bounded by `maxKept`,
// past which the oldest lines are dropped, said on stderr); any other 4xx will not get better and is
// dropped, said on stderr; a 2xx means the lines are stored.
type lineShipper struct {
	local    io.Writer
	url      string
	service  string
	client   *http.Client
	every    time.Duration
	maxBytes int
	maxKept  int

	mu      sync.Mutex
	pending bytes.Buffer
	dropped int // lines not kept because maxKept bytes were waiting
	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

func newLineShipper(local io.Writer, url, service string) *lineShipper {
	s := &lineShipper{
		local: local, url: url, service: service,
		client: &http.Client{Timeout: 10 * time.Second},
		every:  500 * time.Millisecond, maxBytes: 1 << 20, maxKept: 16 << 20,
		kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	go s.run()
	return s
}

// Write takes one formatted entry (logrus writes each entry in one call, newline included).
func (s *lineShipper) Write(p []byte) (int, error) {
	if s.local != nil {
		if _, err := s.local.Write(p); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	if s.pending.Len()+len(p) > s.maxKept { // otelhouse unreachable for long: keep memory bounded
		s.dropped++
	} else {
		s.pending.Write(p)
	}
	full := s.pending.Len() >= s.maxBytes
	s.mu.Unlock()
	if full {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (s *lineShipper) run() {
	defer close(s.stopped)
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-s.kick:
		case <-s.done:
			s.flush()
			return
		}
		s.flush()
	}
}

// flush sends what is pending; on failure the lines go back in front of any written meanwhile.
func (s *lineShipper) flush() {
	s.mu.Lock()
	batch := append([]byte(nil), s.pending.Bytes()...)
	s.pending.Reset()
	dropped := s.dropped
	s.dropped = 0
	s.mu.Unlock()
	if dropped > 0 {
		fmt.Fprintf(os.Stderr, "log shipping: dropped %d lines while %d bytes were waiting\n", dropped, s.maxKept)
	}
	if len(batch) == 0 {
		return
	}
	retry, err := s.post(batch)
	if err != nil && !retry {
		fmt.Fprintf(os.Stderr, "log shipping: %v; dropped %d bytes\n", err, len(batch))
	} else if err != nil {
		fmt.Fprintf(os.Stderr, "log shipping: %v; keeping %d bytes for the next try\n", err, len(batch))
		s.mu.Lock()
		rest := append(batch, s.pending.Bytes()...)
		if drop := len(rest) - s.maxKept; drop > 0 {
			cut := len(rest)
			if nl := bytes.IndexByte(rest[drop:], '\n'); nl >= 0 {
				cut = drop + nl + 1
			}
			fmt.Fprintf(os.Stderr, "log shipping: dropped %d bytes of the oldest lines\n", cut)
			rest = rest[cut:]
		}
		s.pending.Reset()
		s.pending.Write(rest)
		s.mu.Unlock()
	}
}

// post sends one batch; on failure it says whether sending it again may succeed.
func (s *lineShipper) post(batch []byte) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(batch))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("X-Service-Name", s.service)
	resp, err := s.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return retry, fmt.Errorf("POST %s: %s", s.url, resp.Status)
	}
	return false, nil
}

// Close sends what is left and stops the shipper.
func (s *lineShipper) Close() {
	close(s.done)
	<-s.stopped
}
