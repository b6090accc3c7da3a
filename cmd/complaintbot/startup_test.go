package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"gopkg.in/yaml.v3"
)

// A data folder whose database was deleted or damaged stops `complaintbot serve` at once with
// exit status 1 and one plain line naming the file; it never starts empty over it.
func TestServeRefusesAMissingOrDamagedDatabase(t *testing.T) {
	for _, c := range []struct {
		name, want string
		damage     func(file string) error
	}{
		{"deleted", "is missing", os.Remove},
		{"garbage", "is damaged", func(file string) error {
			f, err := os.OpenFile(file, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			junk := make([]byte, 64<<10)
			_, _ = rand.Read(junk)
			_, err = f.WriteAt(junk, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			h := apptest.New(t, func(cfg *config.Config) { cfg.DataDir = dir })
			h.Say("oStartupCustomer01", "你好")
			h.Stop()
			file := filepath.Join(dir, "db", "complaintbot.sqlite")
			if err := c.damage(file); err != nil {
				t.Fatal(err)
			}
			cfg := apptest.Config(dir)
			cfg.Server.WebhookAddr, cfg.Server.ConsoleAddr = freeAddr(t), freeAddr(t)
			data, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			var errOut bytes.Buffer
			code := run([]string{"serve", "-config", path}, strings.NewReader(""), &bytes.Buffer{}, &errOut)
			msg := errOut.String()
			if code != 1 || !strings.Contains(msg, "complaintbot: ") || !strings.Contains(msg, file) || !strings.Contains(msg, c.want) {
				t.Fatalf("exit %d, output:\n%s\nwant status 1 and a line saying %s %s", code, msg, file, c.want)
			}
			t.Logf("%s", strings.TrimSpace(msg))
			if c.name == "deleted" {
				if _, err := os.Stat(file); !os.IsNotExist(err) {
					t.Errorf("the refused start created %s", file)
				}
			}
		})
	}
}
