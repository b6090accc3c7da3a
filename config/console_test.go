package config_test

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/config"
)

// console.trusted_proxies takes CIDR ranges and single addresses; anything else stops start-up
// naming the key and the entry.
func TestTrustedProxiesAreCheckedAtStartUp(t *testing.T) {
	cfg := config.Default()
	cfg.Console.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.5", "::1", "fd00::/8"}
	if p := cfg.Validate(); len(p) != 0 {
		t.Fatalf("good proxies refused: %v", p)
	}
	cfg.Console.TrustedProxies = []string{"10.0.0.0/33", "proxy.internal"}
	p := strings.Join(cfg.Validate(), "\n")
	for _, want := range []string{`console.trusted_proxies: "10.0.0.0/33"`, `console.trusted_proxies: "proxy.internal"`} {
		if !strings.Contains(p, want) {
			t.Errorf("no problem %q in:\n%s", want, p)
		}
	}
	if got, err := config.ParseProxy("192.168.1.5"); err != nil || got.String() != "192.168.1.5/32" {
		t.Fatalf("a single address: %v %v", got, err)
	}
}
