package complaintbot

import (
	"crypto/rand"
	"encoding/base64"
)

// RandomToken returns n random bytes from crypto/rand, base64url-encoded without padding: session
// tokens, CSRF tokens, and the ids a page gives a reply so that a double submission sends once.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
