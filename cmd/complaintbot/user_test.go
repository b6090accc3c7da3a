package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// Accounts are managed from the command line against the service's own database; the password
// comes from standard input, never from an argument.
func TestUserCommandManagesConsoleAccounts(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	data, _ := yaml.Marshal(cfg)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	do := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"user"}, append(args, "-config", path)...), strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, e := do("Wang-Li-pass-2026\n", "add", "wangli", "--role", "agent", "--branches", "0101", "--name", "王丽"); code != 0 {
		t.Fatalf("add: %d %s", code, e)
	}
	if code, _, _ := do("short\n", "add", "weak", "--role", "agent", "--branches", "0101"); code == 0 {
		t.Fatal("a too-short password was accepted")
	}
	if code, _, e := do("12345678\n", "add", "weak", "--role", "agent", "--branches", "0101"); code == 0 || !strings.Contains(e, "密码") {
		t.Fatalf("a common password was accepted: %d %s", code, e)
	}
	if code, _, _ := do("Some-pass-2026\n", "add", "ghost", "--role", "agent", "--branches", "9999"); code == 0 {
		t.Fatal("an unknown branch was accepted")
	}
	code, out, e := do("", "list")
	if code != 0 || !strings.Contains(out, "wangli") || !strings.Contains(out, "王丽") || strings.Contains(out, "Wang-Li-pass") {
		t.Fatalf("list: %d %q %s", code, out, e)
	}
	// The operator chose that password: 王丽 chooses her own at her first login.
	if !strings.Contains(out, "sets own password at next login") {
		t.Fatalf("list does not say the password is a first one: %q", out)
	}
	if code, _, e := do("", "disable", "wangli"); code != 0 {
		t.Fatalf("disable: %s", e)
	}
	if _, out, _ := do("", "list"); !strings.Contains(out, "wangli") {
		t.Fatalf("list after disable: %q", out)
	}
	if code, _, e := do("New-pass-2026-x\n", "passwd", "wangli"); code != 0 {
		t.Fatalf("passwd: %s", e)
	}
	if code, _, _ := do("", "passwd", "nobody"); code == 0 {
		t.Fatal("passwd of an unknown user succeeded")
	}
	// The service hashes with bcrypt's real work factor (other packages' tests lower it).
	st, err := storage.Open(context.Background(), storage.Options{DataDir: cfg.DataDir, Database: cfg.MongoDB.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	u, err := st.UserByName(context.Background(), "wangli")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("password hashed with work factor %d (%v), want %d", cost, err, bcrypt.DefaultCost)
	}
}
