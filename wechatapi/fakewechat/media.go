package fakewechat

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"time"
)

// PathMediaGet is the temporary media download a Server answers.
const PathMediaGet = "/cgi-bin/media/get"

// MediaLifetime is how long a Server serves a media file after it was added, as WeChat keeps a
// temporary MediaId for 3 days.
const MediaLifetime = 72 * time.Hour

// mediaFiles are the media a Server serves (guarded by Server.mu).
type mediaFiles struct {
	files    map[string]mediaFile
	prefixes []string
	gets     int
}

type mediaFile struct {
	contentType string
	data        []byte
	added       time.Time
}

// AddMedia makes the Server serve data as the media file id, with the content type, for
// MediaLifetime from now (by its clock); other ids answer errcode 40007.
func (s *Server) AddMedia(id, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media.files == nil {
		s.media.files = map[string]mediaFile{}
	}
	s.media.files[id] = mediaFile{contentType: contentType, data: bytes.Clone(data), added: s.clock.Now()}
}

// AddImage makes the Server serve a small PNG made for id (see TestImage) as the media file id, and
// returns its bytes.
func (s *Server) AddImage(id string) []byte {
	data := TestImage(id)
	s.AddMedia(id, "image/png", data)
	return data
}

// ServeImagesWithPrefix makes the Server serve TestImage(id) for every media id that starts with
// prefix, at any time (sandbox mode: the customer simulator's pictures are "sim-media-N").
func (s *Server) ServeImagesWithPrefix(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media.prefixes = append(s.media.prefixes, prefix)
}

// MediaGets counts the requests to PathMediaGet, failed ones included.
func (s *Server) MediaGets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.media.gets
}

// TestImage returns a 16×16 PNG whose colour is derived from id, so different ids give
// different bytes.
func TestImage(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			c := color.RGBA{R: sum[0], G: sum[1], B: sum[2], A: 255}
			if (x/4+y/4)%2 == 0 {
				c = color.RGBA{R: sum[3], G: sum[4], B: sum[5], A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// mediaGet answers GET /cgi-bin/media/get?access_token=…&media_id=…: the file, or errcode 40007
// for an id the Server does not serve (never added, or added more than MediaLifetime ago).
func (s *Server) mediaGet(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	if !s.checkToken(w, r) {
		return
	}
	id := r.URL.Query().Get("media_id")
	s.mu.Lock()
	f, ok := s.media.files[id]
	if ok && !s.clock.Now().Before(f.added.Add(MediaLifetime)) {
		ok = false
	}
	if !ok && id != "" {
		for _, p := range s.media.prefixes {
			if strings.HasPrefix(id, p) {
				f, ok = mediaFile{contentType: "image/png", data: TestImage(id)}, true
				break
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		writeErr(w, 40007)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	_, _ = w.Write(f.data)
}
