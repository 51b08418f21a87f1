package fakeprom

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// roundTripper serves requests with an http.Handler in the calling
// goroutine: no listener, no connection, but the same bytes on the wire.
type roundTripper struct{ handler http.Handler }

// RoundTrip turns the client request into the server request net/http would
// have built (RequestURI, RemoteAddr, a non-nil body) and the recorded answer
// into a client response.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	sreq := req.Clone(req.Context())
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	defer sreq.Body.Close() // a RoundTripper must close the request body
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}

	w := &responseRecorder{header: http.Header{}}
	rt.handler.ServeHTTP(w, sreq)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}

	w.WriteHeader(http.StatusOK) // a handler that wrote nothing sent 200
	body := w.body.Bytes()
	if req.Method == http.MethodHead {
		body = nil
	}
	if w.sent.Get("Content-Type") == "" && len(body) > 0 {
		w.sent.Set("Content-Type", http.DetectContentType(body))
	}
	status := w.status
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// responseRecorder is the minimal http.ResponseWriter. Headers are copied
// at the first WriteHeader, as a real connection sends them then: later
// changes to Header() are lost, as they would be.
type responseRecorder struct {
	header http.Header
	sent   http.Header
	status int
	body   bytes.Buffer
}

func (w *responseRecorder) Header() http.Header { return w.header }

func (w *responseRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.sent = w.header.Clone()
	}
}

func (w *responseRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
